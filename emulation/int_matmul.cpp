// transaxx emulation — integer LUT matmul on tensors: validation and device dispatch.
#include "emulation/int_matmul.hpp"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <fmt/format.h>

#include <algorithm>

#include "common/error.hpp"
#if defined(AXX_HAVE_CUDA_KERNELS) && defined(AXX_TORCH_HAS_CUDA)
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include "emulation/cuda/lut_gemm_cuda.hpp"
#define AXX_INT_MATMUL_CUDA 1
#endif

namespace axx::emu {

namespace {

void check_operand(const at::Tensor& t, const char* what) {
  if (t.scalar_type() != at::kByte || t.dim() != 2) bad_code_operand("lut_matmul", what, t);
}

// Exact integer GEMM through float BLAS. A float holds every integer up to 2^24 exactly, so as
// long as the sum of |products| in one call stays ≤ 2^24 no rounding happens anywhere (in any
// summation order, FMA or not). |a·b| ≤ 2^14 for int8 and < 2^16 for uint8, hence K chunks of
// 1024 and 256.
at::Tensor exact_gemm_blas(const at::Tensor& a, const at::Tensor& b, bool is_signed) {
  const int64_t K = a.size(-1);
  const int64_t chunk = is_signed ? 1024 : 256;
  auto to_f = [&](const at::Tensor& c) {
    return is_signed ? c.view(at::kChar).to(at::kFloat) : c.to(at::kFloat);
  };
  const at::Tensor af = to_f(a), bf = to_f(b);
  if (K <= chunk) return at::matmul(af, bf.transpose(-1, -2)).to(at::kInt);
  at::Tensor acc;
  for (int64_t k0 = 0; k0 < K; k0 += chunk) {
    const int64_t len = std::min(chunk, K - k0);
    at::Tensor part =
        at::matmul(af.narrow(-1, k0, len), bf.narrow(-1, k0, len).transpose(-1, -2)).to(at::kInt);
    acc = acc.defined() ? acc.add_(part) : part;  // int32 adds wrap like the LUT kernels
  }
  return acc;
}

}  // namespace

void bad_code_operand(const char* op, const char* what, const at::Tensor& t) {
  throw Error("EMU-023", fmt::format("{}: operand {} must be a 2-D uint8 tensor of codes, got {} with {} dims; "
                                     "quantize it first",
                                     op, what, std::string(c10::toString(t.scalar_type())), t.dim()));
}

void operand_k_mismatch(const char* op, const at::Tensor& a, const at::Tensor& b) {
  throw Error("EMU-025", fmt::format("{}: a is [{}, {}] but b is [{}, {}]; both are stored [rows, K] and K must match",
                                     op, a.size(0), a.size(1), b.size(0), b.size(1)));
}

void operands_on_two_devices(const char* op, const char* which) {
  throw Error("EMU-026", fmt::format("{}: {} are on different devices; move them together", op, which));
}

bool cuda_lut_gemm_built() {
#if defined(AXX_INT_MATMUL_CUDA)
  return true;
#else
  return false;
#endif
}

at::Tensor lut_bmm_cuda(const at::Tensor& a_in, const at::Tensor& b_in, const PreparedLut& table, CudaKernel kernel) {
#if defined(AXX_INT_MATMUL_CUDA)
  const c10::cuda::CUDAGuard guard(a_in.device());
  // Contiguous [B, M, K] / [B, N, K] (a strided view is copied once, on the device).
  const at::Tensor a = a_in.contiguous(), b = b_in.contiguous();
  const int device = a.get_device();
  // The table is uploaded once per table and device and kept with it (PreparedLut::device_table).
  const auto lut = std::static_pointer_cast<const cuda::DeviceLut>(table.device_table(
      device, [&] { return std::shared_ptr<const void>(cuda::upload_lut(table.lut(), device)); }));
  const int64_t B = a.size(0), M = a.size(1), N = b.size(1), K = a.size(2);
  at::Tensor c = at::empty({B, M, N}, a.options().dtype(at::kInt));
  cuda::GemmArgs g;
  g.batch = B;
  g.M = M;
  g.N = N;
  g.K = K;
  g.A = a.data_ptr<uint8_t>();
  g.lda = K;
  g.stride_a = M * K;
  g.B = b.data_ptr<uint8_t>();
  g.ldb = K;
  g.stride_b = N * K;
  g.C = c.data_ptr<int32_t>();
  g.ldc = N;
  g.stride_c = M * N;
  cuda::lut_gemm_device(g, *lut, c10::cuda::getCurrentCUDAStream(c10::DeviceIndex(device)).stream(), kernel);
  return c;
#else
  (void)b_in;
  (void)table;
  (void)kernel;
  throw Error("EMU-024", fmt::format("LUT matmul: a CUDA tensor on {} but this build has no CUDA LUT kernels; "
                                     "rebuild with nvcc and a CUDA LibTorch (docs/gpu.md), or run on the CPU",
                                     a_in.device().str()));
#endif
}

at::Tensor lut_matmul(const at::Tensor& a_in, const at::Tensor& b_in, const Multiplier& mult,
                      MatmulPath path, CpuKernel kernel, CudaKernel cuda_kernel) {
  check_operand(a_in, "a (activations)");
  check_operand(b_in, "b (weights)");
  if (a_in.size(1) != b_in.size(1)) {
    operand_k_mismatch("lut_matmul", a_in, b_in);
  }
  if (a_in.device() != b_in.device()) {
    operands_on_two_devices("lut_matmul", "a and b");
  }
  const int64_t M = a_in.size(0), N = b_in.size(0), K = a_in.size(1);
  if (a_in.is_cuda()) return lut_bmm_cuda(a_in.unsqueeze(0), b_in.unsqueeze(0), *mult.table, cuda_kernel).squeeze(0);
  if (path == MatmulPath::blas_exact && !mult.is_exact()) {
    throw Error("EMU-022", fmt::format("lut_matmul: multiplier '{}' is not exact; the BLAS path "
                                       "only computes exact products, use the LUT path",
                                       mult.name));
  }
  const at::Tensor a = a_in.contiguous(), b = b_in.contiguous();
  if (path != MatmulPath::lut && mult.is_exact()) return exact_gemm_blas(a, b, mult.is_signed);
  at::Tensor c = at::empty({M, N}, a.options().dtype(at::kInt));
  lut_gemm_cpu(*mult.table, M, N, K, a.data_ptr<uint8_t>(), K, b.data_ptr<uint8_t>(), K,
               c.data_ptr<int32_t>(), N, kernel);
  return c;
}

at::Tensor lut_bmm(const at::Tensor& a, const at::Tensor& b, const Multiplier& mult,
                   MatmulPath path, CpuKernel kernel, CudaKernel cuda_kernel) {
  if (a.dim() != 3 || b.dim() != 3 || a.size(0) != b.size(0) || a.scalar_type() != at::kByte ||
      b.scalar_type() != at::kByte || a.size(2) != b.size(2)) {
    throw Error("EMU-027", fmt::format("lut_bmm: needs uint8 a [B, M, K] and b [B, N, K], got [{}] "
                                       "and [{}]",
                                       fmt::join(a.sizes(), ", "), fmt::join(b.sizes(), ", ")));
  }
  const int64_t B = a.size(0), M = a.size(1), N = b.size(1), K = a.size(2);
  if (!a.is_cuda() && path != MatmulPath::lut && mult.is_exact()) {
    return exact_gemm_blas(a.contiguous(), b.contiguous(), mult.is_signed);  // batched BLAS
  }
  if (a.is_cuda() || b.is_cuda()) {
    if (a.device() != b.device()) operands_on_two_devices("lut_bmm", "a and b");
    return lut_bmm_cuda(a, b, *mult.table, cuda_kernel);
  }
  if (path == MatmulPath::blas_exact) return lut_matmul(a[0], b[0], mult, path, kernel);  // throws
  const at::Tensor ac = a.contiguous(), bc = b.contiguous();
  at::Tensor c = at::empty({B, M, N}, a.options().dtype(at::kInt));
  const uint8_t* pa = ac.data_ptr<uint8_t>();
  const uint8_t* pb = bc.data_ptr<uint8_t>();
  int32_t* pc = c.data_ptr<int32_t>();
  at::parallel_for(0, B, 1, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {  // nested at::parallel_for runs inline here
      lut_gemm_cpu(*mult.table, M, N, K, pa + i * M * K, K, pb + i * N * K, K, pc + i * M * N, N, kernel);
    }
  });
  return c;
}

}  // namespace axx::emu
