// transaxx emulation — the LUT matmul as a LibTorch dispatcher op: one schema, one kernel per
// device (LibTorch's dispatcher registers one kernel per dispatch key):
//
//   axx::lut_matmul(Tensor a, Tensor b, Tensor lut) -> Tensor
//     a: uint8 [M, K] activation codes, b: uint8 [N, K] weight codes, lut: int32 [256, 256]
//     (lut[a][b], docs/architecture.md "LUT file") on the same device → int32 [M, N],
//     out[m][n] = Σ_k lut[a[m][k]][b[n][k]] (wrapping modulo 2^32).
//
// The CPU kernel is always registered; the CUDA kernel when this build has the CUDA kernels
// (nvcc found) and LibTorch has CUDA. Registration is an explicit call, not a static
// initializer (a static library's self-registering globals are dropped by the linker).
// Through the dispatcher the op works on tensors from any front end (TorchScript, autograd-free
// C++); the model code uses lut_matmul (int_matmul.hpp), which takes a Multiplier.
#pragma once

#include <ATen/core/Tensor.h>

namespace axx::emu {

/// Registers the schema and its kernels with the LibTorch dispatcher. Idempotent, thread-safe.
void register_torch_ops();

/// True when the CUDA kernel of axx::lut_matmul is registered (CUDA kernels built and LibTorch
/// with CUDA).
bool torch_op_has_cuda();

/// Calls axx::lut_matmul through the dispatcher (registering it first). Throws EMU-023 /
/// EMU-025 / EMU-026 for a wrong dtype/shape/device mix, EMU-002 / EMU-003 for a LUT that is not
/// int32 / [256, 256].
at::Tensor lut_matmul_op(const at::Tensor& a, const at::Tensor& b, const at::Tensor& lut);

}  // namespace axx::emu
