// Text made safe to put in an XML 1.0 document: the XML writer escapes markup, but
// control characters and broken UTF-8 (kernel data, fuzzed bytes) are not allowed in
// XML at all, so they are spelled out as \xNN.
#pragma once
#include <string>
#include <string_view>

namespace ringside {

std::string xml_safe_text(std::string_view s);

}  // namespace ringside
