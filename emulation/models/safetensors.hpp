// transaxx models — safetensors reading and writing (https://github.com/huggingface/safetensors):
// 8-byte little-endian header length N, N bytes of JSON {"<name>": {"dtype", "shape",
// "data_offsets": [begin, end]}, "__metadata__": {string: string}}, then the raw little-endian
// data (offsets relative to its start). Every offset is validated; nothing is trusted.
#pragma once

#include <ATen/core/Tensor.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace axx::models {

using TensorMap = std::map<std::string, at::Tensor>;

struct SafetensorsFile {
  TensorMap tensors;  ///< CPU, contiguous, in the file's dtype (F32/F64/F16/BF16/I64/I32/I16/I8/U8/BOOL)
  std::vector<std::pair<std::string, std::string>> metadata;
};

/// Parses safetensors bytes. `what` names the source in errors. Throws SFT-001 (too short / header
/// length beyond the file), SFT-002 (header not a JSON object), SFT-003 (unsupported dtype),
/// SFT-004 (offsets outside the data, overlapping, or not matching the shape), SFT-006 (malformed
/// '__metadata__'), SFT-007 (a malformed tensor entry, naming it).
SafetensorsFile parse_safetensors(const std::string& bytes, const std::string& what);
/// Reads a file; IO-* when unreadable, SFT-* as above.
SafetensorsFile load_safetensors(const std::string& path);

/// Serializes tensors (any of the dtypes above; moved to CPU, made contiguous), names sorted.
/// Throws SFT-008 for a tensor of another dtype.
std::string safetensors_bytes(const TensorMap& tensors,
                              const std::vector<std::pair<std::string, std::string>>& metadata = {});
/// Writes atomically (temp file + rename).
void save_safetensors(const std::string& path, const TensorMap& tensors,
                      const std::vector<std::pair<std::string, std::string>>& metadata = {});

}  // namespace axx::models
