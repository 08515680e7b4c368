// Message digests for APIs that sign their requests (Trend Micro SMPI/LMPI: base64 of an
// HMAC-SHA256 over the time, method and URI, plus base64(MD5(body))), so that no plugin carries
// its own copy of the crypto.
//
//   std::string sig = meterbridge::base64_encode(meterbridge::hmac_sha256(secret, message));
//   std::string md5 = meterbridge::base64_encode(meterbridge::md5(body));
//
// Every function answers the raw digest bytes; base64_encode (http.hpp) or hex() turn them into
// text. Backed by OpenSSL's libcrypto: a plugin that includes this header links OpenSSL::Crypto
// (out of tree, after find_package(OpenSSL)):
//   target_link_libraries(<target>_objects PUBLIC OpenSSL::Crypto)
// (the rest of the SDK stays free of it).
#pragma once

#include <meterbridge/errors.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>
#include <string_view>

namespace meterbridge {

// HMAC-SHA256 (RFC 2104) of message under key: 32 raw bytes.
inline std::string hmac_sha256(std::string_view key, std::string_view message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  const unsigned char* ok =
      HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), out, &length);
  if (ok == nullptr) throw internal_error("HMAC-SHA256 failed in libcrypto");
  return std::string(reinterpret_cast<const char*>(out), length);
}

namespace detail {
inline std::string evp_digest(const EVP_MD* md, std::string_view data, const char* name) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), out, &length, md, nullptr) != 1)
    throw internal_error(std::string(name) + " failed in libcrypto");
  return std::string(reinterpret_cast<const char*>(out), length);
}
}  // namespace detail

// MD5 of data: 16 raw bytes. Only for protocols that ask for it (a body checksum), never as a
// security measure of our own.
inline std::string md5(std::string_view data) {
  return detail::evp_digest(EVP_md5(), data, "MD5");
}

// SHA-256 of data: 32 raw bytes.
inline std::string sha256(std::string_view data) {
  return detail::evp_digest(EVP_sha256(), data, "SHA-256");
}

// Lower-case hex of raw bytes ("9e107d9d...").
inline std::string hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    out += kHex[c >> 4];
    out += kHex[c & 0x0F];
  }
  return out;
}

}  // namespace meterbridge
