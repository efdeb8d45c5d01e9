// transaxx — catalog loader (see catalog.hpp).
//
// Error codes (module CAT):
//   CAT-001 catalog file cannot be read
//   CAT-002 a line does not have the six fields name,family,file,top,signedness,params
//   CAT-003 name is not `<family>_<u|s>8[_<knob><value>...]` in [a-z0-9_]
//   CAT-004 unknown family
//   CAT-005 file is not the family's Verilog file for that signedness
//   CAT-006 the Verilog file does not exist next to the catalog
//   CAT-007 top is not the family's module for that signedness
//   CAT-008 signedness is not `unsigned` or `signed`
//   CAT-009 the family has no variant of that signedness
//   CAT-010 params is not `NAME=INT` joined by ';'
//   CAT-011 unknown parameter for the family
//   CAT-012 parameter out of range
//   CAT-013 parameter given twice
//   CAT-014 instance name used twice
//   CAT-015 parameters violate a joint constraint of the family
//   CAT-016 name does not start with `<family>_<u|s>8` matching family and signedness
//   CAT-017 the catalog has no instance
//   CAT-018 parameter missing
//   CAT-019 (reference_models.cpp) a LUT does not have 65,536 entries
#include "multipliers_rtl/catalog.hpp"

#include <fmt/format.h>

#include <cctype>
#include <fstream>
#include <sstream>
#include <string_view>

#include "common/error.hpp"
#include "multipliers_rtl/reference_models.hpp"

namespace axx::mult {

namespace {

constexpr std::string_view kHeader = "name,family,file,top,signedness,params";

std::string trim(std::string_view s) {
  size_t begin = 0, end = s.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(s[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(s[end - 1]))) --end;
  return std::string(s.substr(begin, end - begin));
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t pos = s.find(sep, start);
    parts.push_back(trim(std::string_view(s).substr(start, pos - start)));
    if (pos == std::string::npos) break;
    start = pos + 1;
  }
  return parts;
}

bool is_identifier(const std::string& s, bool upper) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const bool letter = upper ? std::isupper(c) : std::islower(c);
    const bool ok = letter || c == '_' || (i > 0 && std::isdigit(c));
    if (!ok) return false;
  }
  return true;
}

std::string knob_list(const FamilySpec& f) {
  if (f.knobs.empty()) return "none (leave params empty)";
  std::vector<std::string> parts;
  for (const auto& k : f.knobs) {
    parts.push_back(fmt::format("{} in [{}, {}]: {}", k.name, k.min, k.max, k.meaning));
  }
  return fmt::format("{}", fmt::join(parts, "; "));
}

/// Parses `NAME=INT;NAME=INT`; `where` prefixes messages ("catalog.csv:12").
ParamList parse_params(const std::string& field, const std::string& where) {
  ParamList params;
  if (field.empty()) return params;
  for (const std::string& item : split(field, ';')) {
    const size_t eq = item.find('=');
    const std::string name = trim(std::string_view(item).substr(0, eq));
    const std::string value = eq == std::string::npos ? std::string() : trim(item.substr(eq + 1));
    bool number = !value.empty();
    for (size_t i = 0; i < value.size(); ++i) {
      const bool sign = i == 0 && value[i] == '-' && value.size() > 1;
      if (!sign && !std::isdigit(static_cast<unsigned char>(value[i]))) number = false;
    }
    if (eq == std::string::npos || !is_identifier(name, true) || !number || value.size() > 18) {
      throw Error("CAT-010", fmt::format("{}: field 'params' has '{}'; expected NAME=INT items (NAME in "
                                         "[A-Z0-9_], INT a decimal integer) joined by ';', e.g. VBL=4;HBL=0",
                                         where, item));
    }
    params.emplace_back(name, std::stoll(value));
  }
  return params;
}

}  // namespace

std::vector<std::string> family_names() {
  std::vector<std::string> names;
  for (const auto& f : family_table()) names.push_back(f.name);
  return names;
}

std::string format_params(const ParamList& params) {
  std::vector<std::string> parts;
  for (const auto& [name, value] : params) parts.push_back(fmt::format("{}={}", name, value));
  return fmt::format("{}", fmt::join(parts, ";"));
}

const CatalogEntry* find_entry(const std::vector<CatalogEntry>& catalog, const std::string& name) {
  for (const auto& e : catalog) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

const FamilySpec& family_or_throw(std::string_view name, const std::string& where) {
  if (const FamilySpec* f = find_family(name)) return *f;
  const std::string at = where.empty() ? std::string() : where + ": field 'family': ";
  throw Error("CAT-004", fmt::format("{}unknown multiplier family '{}'; valid families: {}", at, name,
                                     fmt::join(family_names(), ", ")));
}

void throw_missing_parameter(std::string_view name, const FamilySpec* family) {
  throw Error("CAT-018", family == nullptr
                             ? fmt::format("parameter {} is missing; every knob of the family must be "
                                           "given in the catalog's params field",
                                           name)
                             : fmt::format("parameter {} of family '{}' is missing; its parameters: {}", name,
                                           family->name, knob_list(*family)));
}

void validate_params(const std::string& family, const ParamList& params) {
  const FamilySpec* f = &family_or_throw(family);
  for (size_t i = 0; i < params.size(); ++i) {
    const auto& [name, value] = params[i];
    const KnobSpec* spec = nullptr;
    for (const auto& k : f->knobs) {
      if (k.name == name) spec = &k;
    }
    if (spec == nullptr) {
      throw Error("CAT-011",
                  fmt::format("family '{}' has no parameter '{}'; its parameters: {}", family, name, knob_list(*f)));
    }
    for (size_t j = 0; j < i; ++j) {
      if (params[j].first == name) {
        throw Error("CAT-013", fmt::format("parameter {} of family '{}' is given twice; give "
                                           "each parameter once",
                                           name, family));
      }
    }
    if (value < spec->min || value > spec->max) {
      throw Error("CAT-012", fmt::format("parameter {}={} of family '{}' is out of range; "
                                         "expected {} in [{}, {}]: {}",
                                         name, value, family, name, spec->min, spec->max, spec->meaning));
    }
  }
  for (const auto& k : f->knobs) {
    bool given = false;
    for (const auto& p : params) given = given || p.first == k.name;
    if (!given) throw_missing_parameter(k.name, f);
  }
  if (f->cross_check != nullptr) {
    const std::string problem = f->cross_check(Knobs(params));
    if (!problem.empty()) {
      throw Error("CAT-015", fmt::format("family '{}': {}", family, problem));
    }
  }
}

std::vector<CatalogEntry> parse_catalog(std::istream& in, const std::filesystem::path& source) {
  const std::filesystem::path rtl_dir = source.parent_path();
  const std::string src = source.string();
  std::vector<CatalogEntry> entries;
  std::string raw;
  int line_no = 0;
  while (std::getline(in, raw)) {
    ++line_no;
    const std::string line = trim(raw);
    if (line.empty() || line[0] == '#' || line == kHeader) continue;
    const std::string where = fmt::format("{}:{}", src, line_no);

    const std::vector<std::string> fields = split(line, ',');
    if (fields.size() != 6) {
      throw Error("CAT-002", fmt::format("{}: has {} fields; expected 6: {} (params may be "
                                         "empty, e.g. exact_u8,exact,exact_u8.v,exact_u8,unsigned,)",
                                         where, fields.size(), kHeader));
    }
    CatalogEntry e;
    e.name = fields[0];
    e.family = fields[1];
    e.file = fields[2];
    e.top = fields[3];
    e.line = line_no;
    const std::string& signedness = fields[4];

    if (!is_identifier(e.name, false)) {
      throw Error("CAT-003", fmt::format("{}: field 'name' is '{}'; expected "
                                         "<family>_<u|s>8[_<knob><value>] in [a-z0-9_], e.g. "
                                         "bam_u8_v4",
                                         where, e.name));
    }
    const FamilySpec* f = &family_or_throw(e.family, where);
    if (signedness == "signed") {
      e.is_signed = true;
    } else if (signedness != "unsigned") {
      throw Error("CAT-008", fmt::format("{}: field 'signedness' is '{}'; expected 'unsigned' "
                                         "or 'signed'",
                                         where, signedness));
    }
    const Variant& v = e.is_signed ? f->signed_variant : f->unsigned_variant;
    if (v.file.empty()) {
      throw Error("CAT-009", fmt::format("{}: family '{}' has no {} variant; use signedness "
                                         "'{}'",
                                         where, e.family, signedness, e.is_signed ? "unsigned" : "signed"));
    }
    const std::string prefix = fmt::format("{}_{}8", e.family, e.is_signed ? 's' : 'u');
    const bool prefix_ok =
        e.name.compare(0, prefix.size(), prefix) == 0 &&
        (e.name.size() == prefix.size() || (e.name[prefix.size()] == '_' && e.name.size() > prefix.size() + 1));
    if (!prefix_ok) {
      throw Error("CAT-016", fmt::format("{}: name '{}' does not match family '{}' and "
                                         "signedness '{}'; expected '{}' or '{}_<knob><value>'",
                                         where, e.name, e.family, signedness, prefix, prefix));
    }
    if (e.file != v.file) {
      throw Error("CAT-005", fmt::format("{}: field 'file' is '{}'; the {} {} family lives in "
                                         "'{}'",
                                         where, e.file, signedness, e.family, v.file));
    }
    if (!std::filesystem::is_regular_file(rtl_dir / e.file)) {
      throw Error("CAT-006", fmt::format("{}: Verilog file '{}' not found in {}; check the "
                                         "checkout or TRANSAXX_RTL_DIR",
                                         where, e.file, rtl_dir.string()));
    }
    if (e.top != v.top) {
      throw Error("CAT-007", fmt::format("{}: field 'top' is '{}'; the {} {} module is '{}'", where, e.top, signedness,
                                         e.family, v.top));
    }
    e.params = parse_params(fields[5], where);
    try {
      validate_params(e.family, e.params);
    } catch (const Error& err) {
      throw Error(err.code(), fmt::format("{}: {}", where, err.what()));
    }
    if (const CatalogEntry* first = find_entry(entries, e.name)) {
      throw Error("CAT-014", fmt::format("{}: instance name '{}' is already used on line {}; "
                                         "names must be unique",
                                         where, e.name, first->line));
    }
    entries.push_back(std::move(e));
  }
  if (entries.empty()) {
    throw Error("CAT-017", fmt::format("{}: the catalog has no instance; expected lines "
                                       "'{}'",
                                       src, kHeader));
  }
  return entries;
}

std::vector<CatalogEntry> load_catalog(const std::filesystem::path& csv) {
  std::ifstream in(csv);
  if (!in) {
    throw Error("CAT-001", fmt::format("cannot read the multiplier catalog '{}'; check the path "
                                       "(the built-in one is multipliers_rtl/catalog.csv)",
                                       csv.string()));
  }
  return parse_catalog(in, csv);
}

}  // namespace axx::mult
