// trendmicro-rm: the request signature of SMPI and LMPI (pure, no I/O), shared by the plugin and
// the emulator so that both sides are tested against the same known vectors.
//
//   x-signature = base64(HMAC-SHA256(key = secret key,
//                                    msg = posix time + UPPER(method) + request URI
//                                          [+ base64(MD5(body)), only when there is a body]))
// where the request URI is the path and query exactly as sent ("/SMPI/v2.8/...?page=2").
#pragma once

#include <meterbridge/digest.hpp>
#include <meterbridge/http.hpp>

#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>

namespace trendmicro_rm {

// The text that is signed.
inline std::string signature_message(int64_t posix_time, std::string_view method,
                                     std::string_view request_uri, std::string_view body) {
  std::string message = std::to_string(posix_time);
  for (char c : method) message += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  message += request_uri;
  if (!body.empty()) message += meterbridge::base64_encode(meterbridge::md5(body));
  return message;
}

// The x-signature header value.
inline std::string signature(std::string_view secret_key, int64_t posix_time,
                             std::string_view method, std::string_view request_uri,
                             std::string_view body) {
  return meterbridge::base64_encode(meterbridge::hmac_sha256(
      secret_key, signature_message(posix_time, method, request_uri, body)));
}

}  // namespace trendmicro_rm
