// transaxx emulation — CUDA LUT GEMM launcher (plain CUDA; no LibTorch in the .cu, so it
// compiles with any nvcc). Same definition as lut_gemm_reference (lut_gemm.hpp), bit for bit.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace axx::emu::cuda {

/// True when the CUDA runtime finds at least one device.
bool device_available();

/// Device pointers. C[m][n] = Σ_k lut[A[m][k]][B[n][k]] (int32, wrapping). `stream` is a
/// cudaStream_t (nullptr = default stream). Throws axx::Error EMU-060 on a CUDA error.
void lut_gemm_device(int64_t M, int64_t N, int64_t K, const uint8_t* A, int64_t lda,
                     const uint8_t* B, int64_t ldb, const int32_t* lut, int32_t* C, int64_t ldc,
                     void* stream);

/// Copies a 256×256 table (65536 int32, lut[a * 256 + b]) to device `device` and returns it;
/// the handle frees the device memory when the last owner lets go (errors at that point, e.g.
/// at process exit after the runtime shut down, are ignored). Throws EMU-060.
std::shared_ptr<const int32_t> upload_lut(const int32_t* host_lut, int device);

/// Host pointers: copies to the device, runs lut_gemm_device, copies back (tests, tools).
void lut_gemm_host(int64_t M, int64_t N, int64_t K, const uint8_t* A, const uint8_t* B,
                   const int32_t* lut, int32_t* C);

}  // namespace axx::emu::cuda
