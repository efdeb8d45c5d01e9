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

#include "emulation/lut.hpp"

namespace axx::emu {

/// How the CPU computes a LUT matmul.
enum class MatmulPath {
  automatic,  ///< exact table → BLAS; otherwise the fastest bit-exact LUT kernel
  blas_exact, ///< only valid for exact tables (throws EMU-022 otherwise)
  lut,        ///< always the LUT kernel (CpuKernel chosen by `kernel`)
};

/// Throws EMU-023 for a wrong dtype/shape/device mix, naming the operand.
at::Tensor lut_matmul(const at::Tensor& a, const at::Tensor& b, const Multiplier& mult,
                      MatmulPath path = MatmulPath::automatic,
                      CpuKernel kernel = CpuKernel::automatic);

/// Batched: a uint8 [B, M, K], b uint8 [B, N, K] → int32 [B, M, N]. Threads split the batch
/// (one parallel region for all of it: the attention products are many small GEMMs).
at::Tensor lut_bmm(const at::Tensor& a, const at::Tensor& b, const Multiplier& mult,
                   MatmulPath path = MatmulPath::automatic, CpuKernel kernel = CpuKernel::automatic);

}  // namespace axx::emu
