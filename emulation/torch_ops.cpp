// transaxx emulation — axx::lut_matmul registered with the LibTorch dispatcher (torch_ops.hpp).
#include "emulation/torch_ops.hpp"

#include <ATen/ATen.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <fmt/format.h>
#include <torch/library.h>

#include <map>
#include <memory>
#include <mutex>

#include "common/error.hpp"
#include "emulation/int_matmul.hpp"
#include "emulation/lut_gemm.hpp"
#if defined(AXX_HAVE_CUDA_KERNELS) && defined(AXX_TORCH_HAS_CUDA)
#define AXX_TORCH_OP_CUDA 1
#endif

namespace axx::emu {

namespace {

void check_args(const at::Tensor& a, const at::Tensor& b, const at::Tensor& lut) {
  if (a.scalar_type() != at::kByte || a.dim() != 2) bad_code_operand("axx::lut_matmul", "a", a);
  if (b.scalar_type() != at::kByte || b.dim() != 2) bad_code_operand("axx::lut_matmul", "b", b);
  if (a.size(1) != b.size(1)) operand_k_mismatch("axx::lut_matmul", a, b);
  if (lut.scalar_type() != at::kInt) {
    bad_lut_dtype(fmt::format("axx::lut_matmul: the LUT has dtype {}, expected int32 (lut[a][b])",
                              std::string(c10::toString(lut.scalar_type()))));
  }
  if (lut.dim() != 2 || lut.size(0) != 256 || lut.size(1) != 256) {
    bad_lut_shape(fmt::format("axx::lut_matmul: the LUT has shape [{}], expected [256, 256] (lut[a][b])",
                              fmt::join(lut.sizes(), ", ")));
  }
  if (a.device() != b.device() || a.device() != lut.device()) operands_on_two_devices("axx::lut_matmul", "a, b and the LUT");
}

// Prepared tables by content: preparing one (transpose, byte planes) costs about as much as a
// small GEMM, and callers pass the same LUT tensor call after call. Keyed by a 64-bit hash of
// the 256 KiB plus a full comparison, so a changed table is never served stale.
std::shared_ptr<const PreparedLut> prepared(const at::Tensor& lut_cpu) {
  static std::mutex mu;
  static std::multimap<uint64_t, std::shared_ptr<const PreparedLut>> cache;
  const at::Tensor l = lut_cpu.contiguous();
  const int32_t* p = l.data_ptr<int32_t>();
  uint64_t h = 0x9e3779b97f4a7c15ull;
  for (int i = 0; i < 65536; ++i) h = (h ^ uint64_t(uint32_t(p[i]))) * 0x100000001b3ull + uint64_t(i);
  std::lock_guard<std::mutex> lock(mu);
  auto range = cache.equal_range(h);
  for (auto it = range.first; it != range.second; ++it)
    if (std::equal(p, p + 65536, it->second->lut())) return it->second;
  if (cache.size() >= 64) cache.clear();  // bounded: a search may try thousands of tables
  auto t = std::make_shared<const PreparedLut>(p);
  cache.emplace(h, t);
  return t;
}

at::Tensor lut_matmul_cpu(const at::Tensor& a_in, const at::Tensor& b_in, const at::Tensor& lut) {
  check_args(a_in, b_in, lut);
  const at::Tensor a = a_in.contiguous(), b = b_in.contiguous();
  const int64_t M = a.size(0), N = b.size(0), K = a.size(1);
  at::Tensor c = at::empty({M, N}, a.options().dtype(at::kInt));
  lut_gemm_cpu(*prepared(lut), M, N, K, a.data_ptr<uint8_t>(), K, b.data_ptr<uint8_t>(), K,
               c.data_ptr<int32_t>(), N);
  return c;
}

#if defined(AXX_TORCH_OP_CUDA)
// The CUDA backend of lut_bmm (int_matmul.hpp): the table is prepared from its host copy (cached
// by content, as on the CPU) and uploaded once per device.
at::Tensor lut_matmul_cuda(const at::Tensor& a, const at::Tensor& b, const at::Tensor& lut) {
  check_args(a, b, lut);
  return lut_bmm_cuda(a.unsqueeze(0), b.unsqueeze(0), *prepared(lut.cpu())).squeeze(0);
}
#endif

}  // namespace

void register_torch_ops() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Leaked on purpose: registrations must outlive every caller, static destructors included.
    auto* def = new torch::Library(torch::Library::DEF, "axx", c10::nullopt, __FILE__, __LINE__);
    def->def("lut_matmul(Tensor a, Tensor b, Tensor lut) -> Tensor");
    auto* cpu = new torch::Library(torch::Library::IMPL, "axx", c10::DispatchKey::CPU, __FILE__, __LINE__);
    cpu->impl("lut_matmul", &lut_matmul_cpu);
#if defined(AXX_TORCH_OP_CUDA)
    auto* gpu = new torch::Library(torch::Library::IMPL, "axx", c10::DispatchKey::CUDA, __FILE__, __LINE__);
    gpu->impl("lut_matmul", &lut_matmul_cuda);
#endif
  });
}

bool torch_op_has_cuda() {
#if defined(AXX_TORCH_OP_CUDA)
  return true;
#else
  return false;
#endif
}

at::Tensor lut_matmul_op(const at::Tensor& a, const at::Tensor& b, const at::Tensor& lut) {
  register_torch_ops();
  static const auto op = c10::Dispatcher::singleton()
                             .findSchemaOrThrow("axx::lut_matmul", "")
                             .typed<at::Tensor(const at::Tensor&, const at::Tensor&, const at::Tensor&)>();
  return op.call(a, b, lut);
}

}  // namespace axx::emu
