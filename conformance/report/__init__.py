"""Reports: report.json is the contract (docs/rules.md#contracts); Markdown, HTML and JUnit are rendered from it."""
