#!/usr/bin/python3
"""Reference files for tests/import (run with Debian's python3-torch 1.13 / python3-torchvision 0.14).

    make_reference.py OUT_DIR

Writes, for small models with seeded random weights (nothing is downloaded):
  <name>.pt                TorchScript (torch.jit.script + torch.jit.save)
  <name>.timm.safetensors  the ViTs' weights under timm's names (written by hand: the safetensors
                           package is not needed)
  <name>.input.npy         float32 [B, C, H, W] inputs
  <name>.logits.npy        float32 [B, classes] reference outputs (eval mode, no grad: the path
                           where nn.MultiheadAttention takes its fused fast path)
  <name>.fq_logits.npy     the same through transaxx's exact 8-bit scheme as fake quantization
                           (class FakeQuant), calibrated ("max") on the same inputs
  <name>.json              input spec (channels, image_size, num_classes), the approximable
                           layer names PyTorch-side (every nn.Linear / nn.Conv2d module, plus
                           in_proj, qk and av of every nn.MultiheadAttention) and the counts
  not_a_module.pt          a torch.jit.save'd scripted *function* (bad input for the importer)
  state_dict.pt            a torch.save'd state dict (no graph: bad input)
  einsum.pt                a module multiplying with einsum (refused: transaxx cannot approximate it)
  fmnist_vit_ts.pt (.json) examples/models/fmnist_vit.safetensors (the trained Fashion-MNIST ViT)
                           as a scripted timm-style module, with its input-spec sidecar
"""
import copy
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torchvision


def write_safetensors(path, tensors, metadata=None):
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    blobs, off = [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().to(torch.float32)
        b = t.numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def timm_names(m):
    """torchvision VisionTransformer state dict -> timm vit_* names (same math: pre-norm blocks,
    class-token pooling, LayerNorm eps 1e-6, exact GELU, q scaled by 1/sqrt(head_dim))."""
    sd = m.state_dict()
    out = {
        "patch_embed.proj.weight": sd["conv_proj.weight"],
        "patch_embed.proj.bias": sd["conv_proj.bias"],
        "cls_token": sd["class_token"],
        "pos_embed": sd["encoder.pos_embedding"],
        "norm.weight": sd["encoder.ln.weight"],
        "norm.bias": sd["encoder.ln.bias"],
        "head.weight": sd["heads.head.weight"],
        "head.bias": sd["heads.head.bias"],
    }
    for i in range(len(m.encoder.layers)):
        s, d = f"encoder.layers.encoder_layer_{i}.", f"blocks.{i}."
        pairs = [("ln_1", "norm1"), ("ln_2", "norm2"), ("self_attention.out_proj", "attn.proj"),
                 ("mlp.0", "mlp.fc1"), ("mlp.3", "mlp.fc2")]
        for a, b in pairs:
            out[d + b + ".weight"] = sd[s + a + ".weight"]
            out[d + b + ".bias"] = sd[s + a + ".bias"]
        out[d + "attn.qkv.weight"] = sd[s + "self_attention.in_proj_weight"]
        out[d + "attn.qkv.bias"] = sd[s + "self_attention.in_proj_bias"]
    return out


def layer_names(m):
    names = []
    for n, mod in m.named_modules():
        if isinstance(mod, (torch.nn.Linear, torch.nn.Conv2d)):
            names.append(n)
        if isinstance(mod, torch.nn.MultiheadAttention):
            names += [n + ".in_proj", n + ".qk", n + ".av"]
    return sorted(names)


class SmallCnn(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.features = torch.nn.Sequential(
            torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.BatchNorm2d(8), torch.nn.ReLU(),
            torch.nn.Conv2d(8, 16, 3, stride=2, padding=1, bias=False), torch.nn.ReLU(),
            torch.nn.Conv2d(16, 16, 3, padding=2, dilation=2, groups=4), torch.nn.ReLU())
        self.pool = torch.nn.AdaptiveAvgPool2d(1)
        self.fc = torch.nn.Linear(16, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


def read_safetensors(path):
    with open(path, "rb") as f:
        b = f.read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n])
    meta = h.pop("__metadata__", {})
    out = {}
    for k, e in h.items():
        assert e["dtype"] == "F32", k
        s, t = e["data_offsets"]
        out[k] = torch.from_numpy(np.frombuffer(b[8 + n + s:8 + n + t], dtype="<f4").copy()).reshape(e["shape"])
    return out, meta


class TimmAttention(torch.nn.Module):
    """timm's Attention: products as plain matmuls (named .qk / .av by the importer)."""
    def __init__(self, dim, heads):
        super().__init__()
        self.heads, self.scale = heads, (dim // heads) ** -0.5
        self.qkv = torch.nn.Linear(dim, 3 * dim)
        self.proj = torch.nn.Linear(dim, dim)

    def forward(self, x):
        B, T, C = x.shape
        qkv = self.qkv(x).reshape(B, T, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = (q * self.scale) @ k.transpose(-2, -1)
        attn = attn.softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(B, T, C))


class TimmMlp(torch.nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1, self.act, self.fc2 = torch.nn.Linear(dim, hidden), torch.nn.GELU(), torch.nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class TimmBlock(torch.nn.Module):
    def __init__(self, dim, heads, hidden, eps):
        super().__init__()
        self.norm1, self.norm2 = torch.nn.LayerNorm(dim, eps=eps), torch.nn.LayerNorm(dim, eps=eps)
        self.attn, self.mlp = TimmAttention(dim, heads), TimmMlp(dim, hidden)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class TimmPatchEmbed(torch.nn.Module):
    def __init__(self, chans, dim, patch):
        super().__init__()
        self.proj = torch.nn.Conv2d(chans, dim, patch, stride=patch)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class TimmViT(torch.nn.Module):
    """timm's VisionTransformer (the subset transaxx's native ViT has), for the trained
    examples/models/fmnist_vit.safetensors as TorchScript: the same names, the same math."""
    def __init__(self, m):
        super().__init__()
        dim, patch, eps = int(m["axx.embed_dim"]), int(m["axx.patch_size"]), float(m["axx.ln_eps"])
        hidden = int(dim * float(m["axx.mlp_ratio"]))
        n = (int(m["axx.img_size"]) // patch) ** 2
        self.avg = m.get("axx.global_pool", "token") == "avg"
        self.patch_embed = TimmPatchEmbed(int(m["axx.in_chans"]), dim, patch)
        self.cls_token = torch.nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = torch.nn.Parameter(torch.zeros(1, n + 1, dim))
        self.blocks = torch.nn.Sequential(*[TimmBlock(dim, int(m["axx.num_heads"]), hidden, eps)
                                            for _ in range(int(m["axx.depth"]))])
        self.norm = torch.nn.LayerNorm(dim, eps=eps)
        self.head = torch.nn.Linear(dim, int(m["axx.num_classes"]))

    def forward(self, x):
        t = self.patch_embed(x)
        t = torch.cat([self.cls_token.expand(t.shape[0], -1, -1), t], dim=1) + self.pos_embed
        t = self.norm(self.blocks(t))
        return self.head(t[:, 1:].mean(1) if self.avg else t[:, 0])


class Einsum(torch.nn.Module):
    """A product transaxx refuses (einsum): the importer must say so, not run it exact."""
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.randn(4, 3))

    def forward(self, x):
        return torch.einsum("bchw,kc->bk", x, self.w)


class FakeQuant:
    """transaxx's exact 8-bit path as fake quantization (emulation/quant.hpp): activations signed
    symmetric per tensor, scale = float32(amax / 127) with amax the calibrated max |x| (method
    "max"), codes round-half-even clamped to [-128, 127]; weights per output channel, scale =
    max |w_row| / 127. Every nn.Linear / nn.Conv2d and, inside nn.MultiheadAttention, in_proj,
    Q·Kᵀ (q already scaled by 1/sqrt(head_dim)), attention·V and out_proj. The first pass (fp32)
    records amax per layer input, the second quantizes."""

    def __init__(self, model):
        self.amax, self.quantize = {}, False
        for name, mod in model.named_modules():
            if isinstance(mod, torch.nn.MultiheadAttention):
                mod.forward = self._mha(name, mod)
            elif isinstance(mod, (torch.nn.Linear, torch.nn.Conv2d)) and not name.endswith("out_proj"):
                mod.forward = self._layer(name, mod)

    def act(self, name, i, x):
        key = (name, i)
        if not self.quantize:
            self.amax[key] = max(self.amax.get(key, 0.0), float(x.abs().max()))
            return x
        s = torch.tensor(np.float32(self.amax[key] / 127.0)) if self.amax[key] > 0 else torch.tensor(1.0)
        return torch.clamp(torch.round(x / s), -128, 127) * s

    def weight(self, w):
        if not self.quantize:
            return w
        w2 = w.reshape(w.shape[0], -1)
        amax = torch.maximum(-w2.min(1).values.clamp(max=0), w2.max(1).values.clamp(min=0))
        s = torch.where(amax > 0, amax / 127.0, torch.ones_like(amax)).unsqueeze(1)
        return (torch.clamp(torch.round(w2 / s), -128, 127) * s).reshape(w.shape)

    def linear(self, name, x, w, b):
        return torch.nn.functional.linear(self.act(name, 0, x), self.weight(w), b)

    def matmul(self, name, a, b):
        return torch.matmul(self.act(name, 0, a), self.act(name, 1, b))

    def _layer(self, name, mod):
        if isinstance(mod, torch.nn.Linear):
            return lambda x: self.linear(name, x, mod.weight, mod.bias)
        return lambda x: mod._conv_forward(self.act(name, 0, x), self.weight(mod.weight), mod.bias)

    def _mha(self, name, mod):
        def forward(query, key, value, need_weights=True, **kw):
            assert query is key and key is value and mod.batch_first
            B, T, E = query.shape
            H = mod.num_heads
            dh = E // H
            q, k, v = self.linear(name + ".in_proj", query, mod.in_proj_weight, mod.in_proj_bias).chunk(3, -1)
            q, k, v = (t.reshape(B, T, H, dh).transpose(1, 2) for t in (q, k, v))
            att = self.matmul(name + ".qk", q / math.sqrt(dh), k.transpose(-2, -1)).softmax(-1)
            o = self.matmul(name + ".av", att, v).transpose(1, 2).reshape(B, T, E)
            return self.linear(name + ".out_proj", o, mod.out_proj.weight, mod.out_proj.bias), None
        return forward


def save(out, name, model, x, spec, timm=False):
    model.eval()
    with torch.no_grad():
        y = model(x)
        fq_model = copy.deepcopy(model)
        fq = FakeQuant(fq_model)
        y_fp32 = fq_model(x)  # calibration pass
        assert torch.allclose(y_fp32, y, rtol=1e-4, atol=1e-5), name
        fq.quantize = True
        y_fq = fq_model(x)
    np.save(os.path.join(out, name + ".fq_logits.npy"), y_fq.numpy().astype(np.float32))
    scripted = torch.jit.script(model)
    with torch.no_grad():
        ys = scripted(x)
    assert torch.allclose(y, ys, rtol=1e-5, atol=1e-6), name
    torch.jit.save(scripted, os.path.join(out, name + ".pt"))
    np.save(os.path.join(out, name + ".input.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(out, name + ".logits.npy"), y.numpy().astype(np.float32))
    names = layer_names(model)
    info = dict(spec)
    info["layers"] = names
    info["num_linear"] = sum(isinstance(m, torch.nn.Linear) for m in model.modules())
    info["num_conv2d"] = sum(isinstance(m, torch.nn.Conv2d) for m in model.modules())
    info["num_mha"] = sum(isinstance(m, torch.nn.MultiheadAttention) for m in model.modules())
    with open(os.path.join(out, name + ".json"), "w") as f:
        json.dump(info, f, indent=1, sort_keys=True)
    if timm:
        write_safetensors(os.path.join(out, name + ".timm.safetensors"), timm_names(model))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    vits = [("tv_vit_a", dict(image_size=32, patch_size=8, num_layers=2, num_heads=4, hidden_dim=64,
                              mlp_dim=128, num_classes=10)),
            ("tv_vit_b", dict(image_size=32, patch_size=8, num_layers=3, num_heads=3, hidden_dim=48,
                              mlp_dim=96, num_classes=7)),
            # for bench/import (images/s of the imported model against the native one)
            ("tv_vit_bench", dict(image_size=32, patch_size=4, num_layers=4, num_heads=4, hidden_dim=128,
                                  mlp_dim=256, num_classes=10))]
    for name, kw in vits:
        m = torchvision.models.VisionTransformer(**kw)
        with torch.no_grad():  # torchvision zero-initializes the head and the class token
            for p in m.parameters():
                if p.abs().sum() == 0 and p.dim() >= 1:
                    p.normal_(0, 0.2)
        x = torch.randn(4, 3, kw["image_size"], kw["image_size"])
        spec = {"channels": 3, "image_size": kw["image_size"], "num_classes": kw["num_classes"],
                "num_heads": kw["num_heads"], "patch_size": kw["patch_size"]}
        save(out, name, m, x, spec, timm=True)
    cnn = SmallCnn()
    with torch.no_grad():
        bn = cnn.features[1]
        bn.running_mean.normal_(0, 0.1)
        bn.running_var.uniform_(0.5, 2.0)
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.normal_(0, 0.1)
    save(out, "cnn", cnn, torch.randn(4, 3, 16, 16), {"channels": 3, "image_size": 16, "num_classes": 10})

    @torch.jit.script
    def not_a_module(x: torch.Tensor) -> torch.Tensor:
        return x + 1
    torch.jit.save(not_a_module, os.path.join(out, "not_a_module.pt"))
    torch.save(cnn.state_dict(), os.path.join(out, "state_dict.pt"))

    # The trained Fashion-MNIST ViT of the repository as TorchScript (timm-style module, the same
    # tensor and layer names as the native ViT): `transaxx eval` must score it as the original.
    trained = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "models",
                           "fmnist_vit.safetensors")
    tensors, meta = read_safetensors(trained)
    vit = TimmViT(meta)
    vit.load_state_dict(tensors)
    vit.eval()
    torch.jit.save(torch.jit.script(vit), os.path.join(out, "fmnist_vit_ts.pt"))
    with open(os.path.join(out, "fmnist_vit_ts.json"), "w") as f:
        json.dump({"channels": int(meta["axx.in_chans"]), "image_size": int(meta["axx.img_size"]),
                   "num_classes": int(meta["axx.num_classes"])}, f)
    torch.jit.save(torch.jit.script(Einsum()), os.path.join(out, "einsum.pt"))


if __name__ == "__main__":
    main()
