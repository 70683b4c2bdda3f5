"""Reports: report.json is the contract (DESIGN §7); Markdown, HTML and JUnit are rendered from it."""
