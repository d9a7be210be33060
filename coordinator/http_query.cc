#include "coordinator/http_query.h"

#include <set>

#include <google/protobuf/descriptor.h>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace sg {

namespace {

using google::protobuf::EnumDescriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

bool Settable(const FieldDescriptor& field) {
  return field.cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE;
}

// An enum value by its full name (RUN_STATE_RUNNING), its name without the enum's prefix
// (RUNNING, running) or its number.
const EnumValueDescriptor* FindEnumValue(const EnumDescriptor& type, const std::string& text) {
  if (const EnumValueDescriptor* v = type.FindValueByName(text)) return v;
  const std::string upper = absl::AsciiStrToUpper(text);
  for (int i = 0; i < type.value_count(); ++i) {
    const std::string& name = type.value(i)->name();
    const size_t cut = name.size() - upper.size();
    if (!upper.empty() && name.size() > upper.size() &&
        name.compare(cut, std::string::npos, upper) == 0 && name[cut - 1] == '_') {
      return type.value(i);
    }
  }
  int number = 0;
  if (absl::SimpleAtoi(text, &number)) return type.FindValueByNumber(number);
  return nullptr;
}

absl::Status BadValue(const FieldDescriptor& field, const std::string& value,
                      const std::string& expected) {
  return absl::InvalidArgumentError(absl::StrCat("query parameter '", field.name(), "': '", value,
                                                 "' is not ", expected));
}

// Sets (or, for a repeated field, appends) one value.
absl::Status SetOne(const FieldDescriptor& field, const std::string& value, Message* message) {
  const Reflection* r = message->GetReflection();
  const bool rep = field.is_repeated();
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t v = 0;
      if (!absl::SimpleAtoi(value, &v)) return BadValue(field, value, "a 32-bit integer");
      rep ? r->AddInt32(message, &field, v) : r->SetInt32(message, &field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t v = 0;
      if (!absl::SimpleAtoi(value, &v)) return BadValue(field, value, "an integer");
      rep ? r->AddInt64(message, &field, v) : r->SetInt64(message, &field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t v = 0;
      if (!absl::SimpleAtoi(value, &v)) return BadValue(field, value, "an unsigned integer");
      rep ? r->AddUInt32(message, &field, v) : r->SetUInt32(message, &field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t v = 0;
      if (!absl::SimpleAtoi(value, &v)) return BadValue(field, value, "an unsigned integer");
      rep ? r->AddUInt64(message, &field, v) : r->SetUInt64(message, &field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: {
      double v = 0;
      if (!absl::SimpleAtod(value, &v)) return BadValue(field, value, "a number");
      if (field.cpp_type() == FieldDescriptor::CPPTYPE_FLOAT) {
        rep ? r->AddFloat(message, &field, v) : r->SetFloat(message, &field, v);
      } else {
        rep ? r->AddDouble(message, &field, v) : r->SetDouble(message, &field, v);
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool v = false;
      if (value == "true" || value == "1") {
        v = true;
      } else if (value != "false" && value != "0") {
        return BadValue(field, value, "true, false, 1 or 0");
      }
      rep ? r->AddBool(message, &field, v) : r->SetBool(message, &field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const EnumValueDescriptor* v = FindEnumValue(*field.enum_type(), value);
      if (v == nullptr) {
        std::vector<std::string> names;
        for (int i = 0; i < field.enum_type()->value_count(); ++i) {
          names.push_back(field.enum_type()->value(i)->name());
        }
        return BadValue(field, value, absl::StrCat("one of ", absl::StrJoin(names, ", ")));
      }
      rep ? r->AddEnum(message, &field, v) : r->SetEnum(message, &field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_STRING:
      rep ? r->AddString(message, &field, value) : r->SetString(message, &field, value);
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_MESSAGE:
      break;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("query parameter '", field.name(), "': a message field; use POST with JSON"));
}

}  // namespace

std::string SettableFieldNames(const google::protobuf::Descriptor& type) {
  std::vector<std::string> names;
  for (int i = 0; i < type.field_count(); ++i) {
    if (Settable(*type.field(i))) names.push_back(type.field(i)->name());
  }
  return names.empty() ? "none" : absl::StrJoin(names, ", ");
}

absl::Status SetRequestFields(const UrlParams& params, Message* request) {
  const google::protobuf::Descriptor& type = *request->GetDescriptor();
  std::set<std::string> seen;
  for (const auto& [name, value] : params) {
    const FieldDescriptor* field = type.FindFieldByName(name);
    if (field == nullptr || !Settable(*field)) {
      return absl::InvalidArgumentError(absl::StrCat("unknown query parameter '", name, "' for ",
                                                     type.name(), "; valid: ",
                                                     SettableFieldNames(type)));
    }
    if (!field->is_repeated() && !seen.insert(name).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "query parameter '", name, "' given more than once; it takes one value"));
    }
    absl::Status set = SetOne(*field, value, request);
    if (!set.ok()) return set;
  }
  return absl::OkStatus();
}

}  // namespace sg
