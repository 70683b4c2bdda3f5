"""Convert a GGUF model into a bf16 safetensors checkpoint that vLLM loads: ``python convert_gguf.py GGUF OUT``.

Run by the vLLM environment's interpreter (transformers, gguf, accelerate, torch live there, not in the suite's),
so it imports nothing from the suite. transformers dequantizes the GGUF with ``from_pretrained(dir,
gguf_file=...)`` and reads the tokenizer the same way. The checkpoint names its architecture LlamaForCausalLM,
is bfloat16, and has no ``lm_head.weight``: SmolLM2 ties it to the embeddings. transformers keeps GGUF weights
packed unless told to dequantize, and will not save a model loaded from GGUF, so the tensors and the config are
written here directly.
"""

import sys
from pathlib import Path


def convert(gguf: Path, out: Path) -> None:
    import torch
    from safetensors.torch import save_file
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.bfloat16,
                                                 quantization_config=GgufConfig(dequantize=True))
    state = {k: v.to(torch.bfloat16).contiguous() for k, v in model.state_dict().items() if k != "lm_head.weight"}
    out.mkdir(parents=True, exist_ok=True)
    save_file(state, str(out / "model.safetensors"), metadata={"format": "pt"})
    config = model.config
    config.architectures = ["LlamaForCausalLM"]
    config.tie_word_embeddings = True
    config.dtype = torch.bfloat16
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.save_pretrained(out)
    tok.save_pretrained(out)


if __name__ == "__main__":
    convert(Path(sys.argv[1]), Path(sys.argv[2]))
