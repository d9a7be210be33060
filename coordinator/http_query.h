// Request messages from URL parameters: each (name, value) pair sets the request field of that
// proto name, typed by its field descriptor (integers, floating point, bools as true/false/1/0,
// enums by name, strings as they are); a repeated field takes one value per occurrence. Message
// fields cannot be set this way (POST /api/v1/rpc/METHOD takes a JSON body for those).
//
// Thread-safety: plain functions.
#ifndef SG_COORDINATOR_HTTP_QUERY_H_
#define SG_COORDINATOR_HTTP_QUERY_H_

#include <string>
#include <utility>
#include <vector>

#include <google/protobuf/message.h>

#include "absl/status/status.h"

namespace sg {

using UrlParams = std::vector<std::pair<std::string, std::string>>;

// Sets `params` on `request`. kInvalidArgument naming the parameter: one the request has no
// settable field for (listing those it has), a value that does not parse as the field's type
// (an enum's message lists its names), or a singular field given twice.
absl::Status SetRequestFields(const UrlParams& params, google::protobuf::Message* request);

// The fields SetRequestFields can set on messages of this type, comma-separated.
std::string SettableFieldNames(const google::protobuf::Descriptor& type);

}  // namespace sg

#endif  // SG_COORDINATOR_HTTP_QUERY_H_
