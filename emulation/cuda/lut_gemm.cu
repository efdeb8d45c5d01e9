// transaxx emulation — CUDA LUT GEMM.
//
// Tiled like a shared-memory GEMM: a 64×64 output tile per block, 256 threads, each thread 4×4
// outputs. Operand tiles of 64 rows × 32 k are staged in shared memory; the whole 256 KiB LUT
// does not fit, so lookups read it through the read-only cache (__ldg), which holds the hot
// rows. Integer adds only: bit-identical to the CPU reference for every table.
#include "emulation/cuda/lut_gemm_cuda.hpp"

#include <cuda_runtime.h>

#include <string>
#include <vector>

#include "common/error.hpp"

namespace axx::emu::cuda {

namespace {

constexpr int kTile = 64, kKTile = 32;

__global__ void lut_gemm_kernel(int64_t M, int64_t N, int64_t K, const uint8_t* __restrict__ A,
                                int64_t lda, const uint8_t* __restrict__ B, int64_t ldb,
                                const int32_t* __restrict__ lut, int32_t* __restrict__ C,
                                int64_t ldc) {
  __shared__ uint8_t As[kKTile][kTile + 4];
  __shared__ uint8_t Bs[kKTile][kTile + 4];
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  const int64_t m0 = int64_t(blockIdx.y) * kTile, n0 = int64_t(blockIdx.x) * kTile;
  unsigned acc[4][4] = {};
  for (int64_t k0 = 0; k0 < K; k0 += kKTile) {
    for (int i = threadIdx.x; i < kTile * kKTile; i += blockDim.x) {
      const int r = i / kKTile, kk = i % kKTile;
      const int64_t m = m0 + r, n = n0 + r, k = k0 + kk;
      As[kk][r] = (m < M && k < K) ? A[m * lda + k] : 0;
      Bs[kk][r] = (n < N && k < K) ? B[n * ldb + k] : 0;
    }
    __syncthreads();
    const int kend = int(K - k0 < kKTile ? K - k0 : kKTile);
    for (int kk = 0; kk < kend; ++kk) {
      int a[4], b[4];
      for (int i = 0; i < 4; ++i) a[i] = As[kk][ty * 4 + i] * 256;
      for (int j = 0; j < 4; ++j) b[j] = Bs[kk][tx * 4 + j];
      for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) acc[i][j] += unsigned(__ldg(lut + a[i] + b[j]));
    }
    __syncthreads();
  }
  for (int i = 0; i < 4; ++i) {
    const int64_t m = m0 + ty * 4 + i;
    if (m >= M) continue;
    for (int j = 0; j < 4; ++j) {
      const int64_t n = n0 + tx * 4 + j;
      if (n < N) C[m * ldc + n] = int(acc[i][j]);
    }
  }
}

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) {
    throw Error("EMU-060", std::string("CUDA LUT GEMM: ") + what + " failed: " +
                               cudaGetErrorString(e) + "; check the GPU and driver (nvidia-smi)");
  }
}

}  // namespace

bool device_available() {
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess && n > 0;
}

void lut_gemm_device(int64_t M, int64_t N, int64_t K, const uint8_t* A, int64_t lda,
                     const uint8_t* B, int64_t ldb, const int32_t* lut, int32_t* C, int64_t ldc,
                     void* stream) {
  if (M <= 0 || N <= 0) return;
  dim3 grid(unsigned((N + kTile - 1) / kTile), unsigned((M + kTile - 1) / kTile));
  lut_gemm_kernel<<<grid, 256, 0, static_cast<cudaStream_t>(stream)>>>(M, N, K, A, lda, B, ldb,
                                                                      lut, C, ldc);
  check(cudaGetLastError(), "kernel launch");
}

std::shared_ptr<const int32_t> upload_lut(const int32_t* host_lut, int device) {
  int previous = 0;
  check(cudaGetDevice(&previous), "cudaGetDevice");
  check(cudaSetDevice(device), "cudaSetDevice");
  int32_t* d = nullptr;
  check(cudaMalloc(&d, 65536 * sizeof(int32_t)), "cudaMalloc (LUT)");
  const cudaError_t e = cudaMemcpy(d, host_lut, 65536 * sizeof(int32_t), cudaMemcpyHostToDevice);
  if (e != cudaSuccess) cudaFree(d);
  check(e, "cudaMemcpy (LUT)");
  cudaSetDevice(previous);
  return std::shared_ptr<const int32_t>(d, [device](const int32_t* p) {
    int cur = 0;
    if (cudaGetDevice(&cur) == cudaSuccess && cudaSetDevice(device) == cudaSuccess) {
      cudaFree(const_cast<int32_t*>(p));
      cudaSetDevice(cur);
    }
  });
}

void lut_gemm_host(int64_t M, int64_t N, int64_t K, const uint8_t* A, const uint8_t* B,
                   const int32_t* lut, int32_t* C) {
  uint8_t *dA = nullptr, *dB = nullptr;
  int32_t *dL = nullptr, *dC = nullptr;
  const size_t sa = size_t(M * K), sb = size_t(N * K), sc = size_t(M * N) * sizeof(int32_t);
  check(cudaMalloc(&dA, sa ? sa : 1), "cudaMalloc");
  check(cudaMalloc(&dB, sb ? sb : 1), "cudaMalloc");
  check(cudaMalloc(&dL, 65536 * sizeof(int32_t)), "cudaMalloc");
  check(cudaMalloc(&dC, sc ? sc : 4), "cudaMalloc");
  check(cudaMemcpy(dA, A, sa, cudaMemcpyHostToDevice), "cudaMemcpy");
  check(cudaMemcpy(dB, B, sb, cudaMemcpyHostToDevice), "cudaMemcpy");
  check(cudaMemcpy(dL, lut, 65536 * sizeof(int32_t), cudaMemcpyHostToDevice), "cudaMemcpy");
  lut_gemm_device(M, N, K, dA, K, dB, K, dL, dC, N, nullptr);
  check(cudaDeviceSynchronize(), "kernel");
  check(cudaMemcpy(C, dC, sc, cudaMemcpyDeviceToHost), "cudaMemcpy");
  cudaFree(dA);
  cudaFree(dB);
  cudaFree(dL);
  cudaFree(dC);
}

}  // namespace axx::emu::cuda
