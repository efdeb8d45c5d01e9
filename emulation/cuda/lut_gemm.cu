// transaxx emulation — CUDA LUT GEMM (see lut_gemm_cuda.hpp for the kernels and the papers).
//
// Tiled kernels (shared16, global32): a block of 512 threads computes 128×128 outputs of one
// product; lane l of warp w holds rows 4l..4l+3 and columns 8w..8w+7 (4×8 = 32 uint32
// accumulators). Operand tiles of 128 rows × 32 k are staged k-major in shared memory, so a lane
// reads its 4 activation codes as one 32-bit word and a warp's 8 weight codes are one broadcast.
// The table is weight-major (entry [b][a] at b·256 + a): the 32 lanes of a warp look up one weight
// code b with 32 activation codes a, so a lookup's shared-memory bank is (a / 2) mod 32 — codes
// near the zero point (real activations) fall in few words and broadcast instead of conflicting.
//
// shared16 stores (entry + bias) mod 2^32, which is < 2^16 for a table spanning < 2^16, and
// subtracts K·bias once per output: Σ (lut + bias) − K·bias ≡ Σ lut (mod 2^32), the same int32
// wrap-around as the CPU kernels. Blocks are persistent (one per SM for shared16: 136 KiB of
// shared memory) and walk the (batch item, tile) space, so the 128 KiB table is loaded once per
// block, not once per tile; a batched product is one launch.
#include "emulation/cuda/lut_gemm_cuda.hpp"

#include <cuda_runtime.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace axx::emu::cuda {

namespace {

constexpr int kBM = 128, kBN = 128, kBK = 32, kTM = 4, kTN = 8, kThreads = 512;
constexpr int kTileBytes = kBK * (kBM + kBN);
constexpr int kTable16Bytes = 65536 * 2;
constexpr int kShared16Bytes = kTileBytes + kTable16Bytes;  // 139,264 B = 136 KiB
constexpr int kNaiveTile = 16;

static_assert(kBM == 32 * kTM && kBN == (kThreads / 32) * kTN, "lanes along M, warps along N");
static_assert(kBM * kBK == kThreads * 8 && kBN * kBK == kThreads * 8, "each thread stages 8 bytes per operand");

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) {
    throw Error("EMU-060", std::string("CUDA LUT GEMM: ") + what + " failed: " + cudaGetErrorString(e) +
                               "; check the GPU and driver (nvidia-smi) and that this build's CUDA "
                               "architectures (AXX_CUDA_ARCHITECTURES) include the device's");
  }
}

// Selects `device` for the scope and restores the previous one (errors on restore ignored: the
// destructor must not throw).
class DeviceScope {
 public:
  explicit DeviceScope(int device) {
    check(cudaGetDevice(&previous_), "cudaGetDevice");
    if (previous_ != device) {
      check(cudaSetDevice(device), "cudaSetDevice");
    } else {
      previous_ = -1;
    }
  }
  ~DeviceScope() {
    if (previous_ >= 0) cudaSetDevice(previous_);
  }
  DeviceScope(const DeviceScope&) = delete;
  DeviceScope& operator=(const DeviceScope&) = delete;

 private:
  int previous_ = -1;
};

template <bool kShared16>
__global__ void __launch_bounds__(kThreads)
    lut_gemm_tiled(GemmArgs g, const uint16_t* __restrict__ lut16_t, const int32_t* __restrict__ lut_t,
                   uint32_t bias, int64_t tiles_m, int64_t tiles_n) {
  extern __shared__ __align__(16) unsigned char smem[];
  uint8_t* As = smem;               // [kBK][kBM]
  uint8_t* Bs = smem + kBK * kBM;   // [kBK][kBN]
  uint16_t* T = reinterpret_cast<uint16_t*>(smem + kTileBytes);  // [b][a], shared16 only
  if (kShared16) {
    const uint4* src = reinterpret_cast<const uint4*>(lut16_t);
    uint4* dst = reinterpret_cast<uint4*>(T);
    for (int i = threadIdx.x; i < kTable16Bytes / 16; i += kThreads) dst[i] = src[i];
    // Visible after the first __syncthreads of the tile loop (before any lookup).
  }
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int stage_row = threadIdx.x >> 2, stage_k = (threadIdx.x & 3) * 8;
  const int64_t per_item = tiles_m * tiles_n, tiles = per_item * g.batch;
  // Σ (lut + bias) − K·bias ≡ Σ lut (mod 2^32); 0 for global32 (raw entries).
  const uint32_t offset = kShared16 ? uint32_t(uint64_t(g.K) * bias) : 0u;
  for (int64_t t = blockIdx.x; t < tiles; t += gridDim.x) {
    const int64_t item = t / per_item, r = t % per_item;
    const int64_t m0 = (r / tiles_n) * kBM, n0 = (r % tiles_n) * kBN;
    const uint8_t* A = g.A + item * g.stride_a;
    const uint8_t* B = g.B + item * g.stride_b;
    int32_t* C = g.C + item * g.stride_c;
    uint32_t acc[kTM][kTN];
#pragma unroll
    for (int i = 0; i < kTM; ++i)
#pragma unroll
      for (int j = 0; j < kTN; ++j) acc[i][j] = 0;
    for (int64_t k0 = 0; k0 < g.K; k0 += kBK) {
      {
        const int64_t m = m0 + stage_row, n = n0 + stage_row;
#pragma unroll
        for (int j = 0; j < 8; ++j) {
          const int64_t k = k0 + stage_k + j;
          As[(stage_k + j) * kBM + stage_row] = (m < g.M && k < g.K) ? A[m * g.lda + k] : uint8_t(0);
          Bs[(stage_k + j) * kBN + stage_row] = (n < g.N && k < g.K) ? B[n * g.ldb + k] : uint8_t(0);
        }
      }
      __syncthreads();
      const int kend = int(g.K - k0 < kBK ? g.K - k0 : kBK);
      for (int kk = 0; kk < kend; ++kk) {
        const uint32_t a4 = *reinterpret_cast<const uint32_t*>(As + kk * kBM + lane * kTM);
        const uint2 b8 = *reinterpret_cast<const uint2*>(Bs + kk * kBN + warp * kTN);
        int a[kTM];
#pragma unroll
        for (int i = 0; i < kTM; ++i) a[i] = int((a4 >> (8 * i)) & 255u);
#pragma unroll
        for (int j = 0; j < kTN; ++j) {
          const uint32_t word = j < 4 ? b8.x : b8.y;
          const int base = int((word >> (8 * (j & 3))) & 255u) << 8;
#pragma unroll
          for (int i = 0; i < kTM; ++i) {
            if (kShared16) {
              acc[i][j] += T[base | a[i]];
            } else {
              acc[i][j] += uint32_t(__ldg(lut_t + (base | a[i])));
            }
          }
        }
      }
      __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < kTM; ++i) {
      const int64_t m = m0 + lane * kTM + i;
      if (m >= g.M) continue;
#pragma unroll
      for (int j = 0; j < kTN; ++j) {
        const int64_t n = n0 + warp * kTN + j;
        if (n < g.N) C[m * g.ldc + n] = int32_t(acc[i][j] - offset);
      }
    }
  }
}

// The baseline: one output per thread, 16×16 tiles of both operands in shared memory, the int32
// table in global memory indexed lut[a * 256 + b] (as TransAxx / TorchApprox do).
__global__ void lut_gemm_naive(GemmArgs g, const int32_t* __restrict__ lut) {
  __shared__ uint8_t As[kNaiveTile][kNaiveTile + 1];
  __shared__ uint8_t Bs[kNaiveTile][kNaiveTile + 1];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int64_t m = int64_t(blockIdx.y) * kNaiveTile + ty, n = int64_t(blockIdx.x) * kNaiveTile + tx;
  const int64_t nb = int64_t(blockIdx.x) * kNaiveTile + ty;  // the B row this thread stages
  for (int64_t item = blockIdx.z; item < g.batch; item += gridDim.z) {
    const uint8_t* A = g.A + item * g.stride_a;
    const uint8_t* B = g.B + item * g.stride_b;
    uint32_t acc = 0;
    for (int64_t k0 = 0; k0 < g.K; k0 += kNaiveTile) {
      const int64_t k = k0 + tx;
      As[ty][tx] = (m < g.M && k < g.K) ? A[m * g.lda + k] : uint8_t(0);
      Bs[ty][tx] = (nb < g.N && k < g.K) ? B[nb * g.ldb + k] : uint8_t(0);
      __syncthreads();
      const int kend = int(g.K - k0 < kNaiveTile ? g.K - k0 : kNaiveTile);
      for (int kk = 0; kk < kend; ++kk) acc += uint32_t(lut[int(As[ty][kk]) * 256 + int(Bs[tx][kk])]);
      __syncthreads();
    }
    if (m < g.M && n < g.N) g.C[item * g.stride_c + m * g.ldc + n] = int32_t(acc);
  }
}

// Per device, once: SM count, opt-in shared memory, and the persistent grid of each tiled kernel.
struct Launch {
  DeviceInfo info;
  int blocks16 = 0, blocks32 = 0;  // resident blocks per SM; blocks16 = 0: shared16 does not fit
};

const Launch& launch_info(int device) {
  static std::mutex mu;
  static std::map<int, Launch> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(device);
  if (it != cache.end()) return it->second;
  const DeviceScope scope(device);  // the attribute and occupancy are per device
  Launch l;
  l.info = device_info(device);
  if (l.info.shared_optin_bytes >= kShared16Bytes) {
    check(cudaFuncSetAttribute(lut_gemm_tiled<true>, cudaFuncAttributeMaxDynamicSharedMemorySize, kShared16Bytes),
          "cudaFuncSetAttribute (shared16)");
    check(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&l.blocks16, lut_gemm_tiled<true>, kThreads, kShared16Bytes),
          "cudaOccupancyMaxActiveBlocksPerMultiprocessor");
  }
  check(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&l.blocks32, lut_gemm_tiled<false>, kThreads, kTileBytes),
        "cudaOccupancyMaxActiveBlocksPerMultiprocessor");
  return cache.emplace(device, l).first->second;
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Extent in elements of a batched operand: the last element any item reads or writes, plus one.
size_t extent(int64_t batch, int64_t rows, int64_t cols, int64_t ld, int64_t stride) {
  if (batch <= 0 || rows <= 0 || cols <= 0) return 0;
  return size_t((batch - 1) * stride + (rows - 1) * ld + cols);
}

}  // namespace

DeviceBuffer::DeviceBuffer(size_t bytes) { check(cudaMalloc(&p_, bytes ? bytes : 1), "cudaMalloc"); }

DeviceBuffer::~DeviceBuffer() {
  if (p_) cudaFree(p_);
}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& o) noexcept {
  if (this != &o) {
    if (p_) cudaFree(p_);
    p_ = o.p_;
    o.p_ = nullptr;
  }
  return *this;
}

void DeviceBuffer::upload(const void* host, size_t bytes) {
  if (bytes) check(cudaMemcpy(p_, host, bytes, cudaMemcpyHostToDevice), "cudaMemcpy (to the device)");
}

void DeviceBuffer::download(void* host, size_t bytes) const {
  if (bytes) check(cudaMemcpy(host, p_, bytes, cudaMemcpyDeviceToHost), "cudaMemcpy (to the host)");
}

bool device_available() {
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess && n > 0;
}

DeviceInfo device_info(int device) {
  cudaDeviceProp p{};
  check(cudaGetDeviceProperties(&p, device), "cudaGetDeviceProperties");
  DeviceInfo d;
  d.name = p.name;
  d.sm_count = p.multiProcessorCount;
  d.shared_optin_bytes = int(p.sharedMemPerBlockOptin);
  d.cc_major = p.major;
  d.cc_minor = p.minor;
  return d;
}

std::shared_ptr<const DeviceLut> upload_lut(const int32_t* host_lut, int device) {
  // One allocation: lut (256 KiB), lut_t (256 KiB), lut16_t (128 KiB).
  std::vector<int32_t> t(65536);
  int64_t lo = host_lut[0], hi = host_lut[0];
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      const int32_t v = host_lut[a * 256 + b];
      t[size_t(b * 256 + a)] = v;
      lo = std::min<int64_t>(lo, v);
      hi = std::max<int64_t>(hi, v);
    }
  }
  const bool fits16 = hi - lo < 65536;
  const uint32_t bias = uint32_t(-lo);  // modulo 2^32
  std::vector<uint16_t> t16;
  if (fits16) {
    t16.resize(65536);
    for (size_t i = 0; i < t16.size(); ++i) t16[i] = uint16_t(uint32_t(t[i]) + bias);
  }
  const DeviceScope scope(device);
  auto mem = std::make_shared<DeviceBuffer>(2 * 65536 * sizeof(int32_t) + 65536 * sizeof(uint16_t));
  auto* base = mem->as<unsigned char>();
  check(cudaMemcpy(base, host_lut, 65536 * sizeof(int32_t), cudaMemcpyHostToDevice), "cudaMemcpy (LUT)");
  check(cudaMemcpy(base + 65536 * 4, t.data(), 65536 * sizeof(int32_t), cudaMemcpyHostToDevice), "cudaMemcpy (LUT)");
  if (fits16) {
    check(cudaMemcpy(base + 2 * 65536 * 4, t16.data(), 65536 * sizeof(uint16_t), cudaMemcpyHostToDevice),
          "cudaMemcpy (LUT)");
  }
  // The handle keeps `mem` alive; its deleter frees the device memory on the table's device.
  struct Owned {
    DeviceLut lut;
    std::shared_ptr<DeviceBuffer> mem;
  };
  auto owned = std::make_shared<Owned>();
  owned->lut.device = device;
  owned->lut.lut = reinterpret_cast<const int32_t*>(base);
  owned->lut.lut_t = reinterpret_cast<const int32_t*>(base + 65536 * 4);
  owned->lut.lut16_t = fits16 ? reinterpret_cast<const uint16_t*>(base + 2 * 65536 * 4) : nullptr;
  owned->lut.bias = bias;
  owned->mem = mem;
  return std::shared_ptr<const DeviceLut>(owned, &owned->lut);
}

bool kernel_applies(CudaKernel k, const DeviceLut& lut) {
  if (k != CudaKernel::shared16) return true;
  return lut.lut16_t != nullptr && launch_info(lut.device).blocks16 > 0;
}

CudaKernel choose_kernel(const DeviceLut& lut) {
  return kernel_applies(CudaKernel::shared16, lut) ? CudaKernel::shared16 : CudaKernel::global32;
}

void lut_gemm_device(const GemmArgs& g, const DeviceLut& lut, void* stream_ptr, CudaKernel kernel) {
  if (g.batch <= 0 || g.M <= 0 || g.N <= 0) return;
  const DeviceScope scope(lut.device);
  if (kernel == CudaKernel::automatic) kernel = choose_kernel(lut);
  if (!kernel_applies(kernel, lut)) {
    throw Error("EMU-061", std::string("CUDA LUT GEMM: kernel '") + to_string(kernel) +
                               "' does not apply here: it needs a table spanning less than 2^16 and " +
                               std::to_string(kShared16Bytes) + " bytes of shared memory per block (this device: " +
                               std::to_string(launch_info(lut.device).info.shared_optin_bytes) +
                               "); use the automatic kernel");
  }
  auto stream = static_cast<cudaStream_t>(stream_ptr);
  if (kernel == CudaKernel::naive) {
    const dim3 block(kNaiveTile, kNaiveTile);
    const dim3 grid(unsigned(ceil_div(g.N, kNaiveTile)), unsigned(ceil_div(g.M, kNaiveTile)),
                    unsigned(std::min<int64_t>(g.batch, 65535)));
    lut_gemm_naive<<<grid, block, 0, stream>>>(g, lut.lut);
  } else {
    const Launch& l = launch_info(lut.device);
    const int64_t tiles_m = ceil_div(g.M, kBM), tiles_n = ceil_div(g.N, kBN);
    const int64_t tiles = tiles_m * tiles_n * g.batch;
    const bool s16 = kernel == CudaKernel::shared16;
    const int64_t resident = int64_t(l.info.sm_count) * std::max(1, s16 ? l.blocks16 : l.blocks32);
    const unsigned grid = unsigned(std::min(tiles, resident));
    if (s16) {
      lut_gemm_tiled<true><<<grid, kThreads, kShared16Bytes, stream>>>(g, lut.lut16_t, lut.lut_t, lut.bias, tiles_m,
                                                                       tiles_n);
    } else {
      lut_gemm_tiled<false><<<grid, kThreads, kTileBytes, stream>>>(g, lut.lut16_t, lut.lut_t, lut.bias, tiles_m,
                                                                    tiles_n);
    }
  }
  check(cudaGetLastError(), "kernel launch");
}

void lut_gemm_host(const GemmArgs& g, const int32_t* host_lut, CudaKernel kernel) {
  if (g.batch <= 0 || g.M <= 0 || g.N <= 0) return;
  const auto lut = upload_lut(host_lut, 0);
  const DeviceScope scope(0);
  const size_t na = extent(g.batch, g.M, g.K, g.lda, g.stride_a), nb = extent(g.batch, g.N, g.K, g.ldb, g.stride_b);
  const size_t nc = extent(g.batch, g.M, g.N, g.ldc, g.stride_c);
  DeviceBuffer a(na), b(nb), c(nc * sizeof(int32_t));
  a.upload(g.A, na);
  b.upload(g.B, nb);
  c.upload(g.C, nc * sizeof(int32_t));  // elements between rows keep their values
  GemmArgs d = g;
  d.A = a.as<uint8_t>();
  d.B = b.as<uint8_t>();
  d.C = c.as<int32_t>();
  lut_gemm_device(d, *lut, nullptr, kernel);
  check(cudaDeviceSynchronize(), "kernel");
  c.download(g.C, nc * sizeof(int32_t));
}

double time_lut_gemm_ms(const GemmArgs& g, const DeviceLut& lut, void* stream_ptr, CudaKernel kernel,
                        int iterations) {
  const DeviceScope scope(lut.device);
  auto stream = static_cast<cudaStream_t>(stream_ptr);
  cudaEvent_t start = nullptr, stop = nullptr;
  check(cudaEventCreate(&start), "cudaEventCreate");
  const cudaError_t e = cudaEventCreate(&stop);
  if (e != cudaSuccess) cudaEventDestroy(start);
  check(e, "cudaEventCreate");
  float ms = 0;
  cudaError_t err = cudaSuccess;
  try {
    lut_gemm_device(g, lut, stream_ptr, kernel);  // warm-up (and the table load into L2)
    check(cudaEventRecord(start, stream), "cudaEventRecord");
    for (int i = 0; i < iterations; ++i) lut_gemm_device(g, lut, stream_ptr, kernel);
    check(cudaEventRecord(stop, stream), "cudaEventRecord");
    err = cudaEventSynchronize(stop);
    if (err == cudaSuccess) err = cudaEventElapsedTime(&ms, start, stop);
  } catch (...) {
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
    throw;
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  check(err, "timing");
  return double(ms) / std::max(1, iterations);
}

}  // namespace axx::emu::cuda
