// transaxx emulation — the integer LUT matmul on tensors: one op, one implementation per device.
//
//   lut_matmul(a, b, mult)[m][n] = Σ_k lut[a[m][k]][b[n][k]]     (int32, wrapping)
//
// a: uint8 [M, K] activation codes, b: uint8 [N, K] weight codes (raw 8-bit patterns: a signed
// code is its two's complement byte). CPU: the exact table goes through float BLAS (exact: K is
// split so every partial sum stays below 2^24), any other table through the LUT kernels of
// lut_gemm.hpp. CUDA tensors go to the CUDA kernel when this build has it and LibTorch has CUDA.
#pragma once

#include <ATen/core/Tensor.h>

#include "emulation/cuda/cuda_kernel.hpp"
#include "emulation/lut.hpp"

namespace axx::emu {

/// How the CPU computes a LUT matmul.
enum class MatmulPath {
  automatic,  ///< exact table → BLAS; otherwise the fastest bit-exact LUT kernel
  blas_exact, ///< only valid for exact tables (throws EMU-022 otherwise)
  lut,        ///< always the LUT kernel (CpuKernel chosen by `kernel`)
};

/// Operand errors of the LUT matmul ops (`op` names the op): EMU-023 an operand `what` that is not
/// a 2-D uint8 code tensor, EMU-025 a and b with different K, EMU-026 operands (`which`) on
/// different devices.
[[noreturn]] void bad_code_operand(const char* op, const char* what, const at::Tensor& t);
[[noreturn]] void operand_k_mismatch(const char* op, const at::Tensor& a, const at::Tensor& b);
[[noreturn]] void operands_on_two_devices(const char* op, const char* which);

/// Throws EMU-023 / EMU-025 / EMU-026 for a wrong dtype/shape/device mix, naming the operand.
/// CUDA tensors run the CUDA LUT kernel `cuda_kernel` (any table, exact ones included: no float
/// GEMM on the device, whose TF32 settings could round).
at::Tensor lut_matmul(const at::Tensor& a, const at::Tensor& b, const Multiplier& mult,
                      MatmulPath path = MatmulPath::automatic,
                      CpuKernel kernel = CpuKernel::automatic,
                      CudaKernel cuda_kernel = CudaKernel::automatic);

/// Batched: a uint8 [B, M, K], b uint8 [B, N, K] → int32 [B, M, N]. Threads split the batch
/// (one parallel region for all of it: the attention products are many small GEMMs).
/// Throws EMU-027 for operands that are not uint8 [B, M, K] and [B, N, K].
at::Tensor lut_bmm(const at::Tensor& a, const at::Tensor& b, const Multiplier& mult,
                   MatmulPath path = MatmulPath::automatic, CpuKernel kernel = CpuKernel::automatic,
                   CudaKernel cuda_kernel = CudaKernel::automatic);

/// True when this build has the CUDA LUT kernels and a LibTorch with CUDA (so CUDA tensors can
/// reach them); whether a device exists is another question (emulation/device.hpp).
bool cuda_lut_gemm_built();

/// The CUDA backend on tensors: uint8 a [B, M, K] and b [B, N, K] on one CUDA device → int32
/// [B, M, N], one launch for the whole batch on LibTorch's current stream of that device (under a
/// device guard). Strided inputs are made contiguous first. The table's device copy is made once
/// (PreparedLut::device_table). Throws EMU-024 in a build without CUDA kernels or CUDA LibTorch,
/// EMU-060 / EMU-061 from the launcher.
at::Tensor lut_bmm_cuda(const at::Tensor& a, const at::Tensor& b, const PreparedLut& table,
                        CudaKernel kernel = CudaKernel::automatic);

}  // namespace axx::emu
