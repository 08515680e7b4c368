// digest.hpp against published test vectors: RFC 4231 (HMAC-SHA256), RFC 1321 (MD5), FIPS 180-2
// (SHA-256), RFC 4648 (base64 of the raw digest, as signatures are sent).
#include <catch2/catch.hpp>

#include <meterbridge/digest.hpp>
#include <meterbridge/http.hpp>

#include <string>

using meterbridge::hex;

TEST_CASE("digest: HMAC-SHA256 matches RFC 4231") {
  // Test case 1: key 20 x 0x0b, "Hi There".
  CHECK(hex(meterbridge::hmac_sha256(std::string(20, '\x0b'), "Hi There")) ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // Test case 2: a key shorter than the block.
  CHECK(hex(meterbridge::hmac_sha256("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 6: a key longer than the block is hashed first.
  CHECK(hex(meterbridge::hmac_sha256(std::string(131, '\xaa'),
                                     "Test Using Larger Than Block-Size Key - Hash Key First")) ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  // An empty key and message are still a digest.
  CHECK(meterbridge::hmac_sha256("", "").size() == 32);
}

TEST_CASE("digest: MD5 and SHA-256 match RFC 1321 and FIPS 180-2") {
  CHECK(hex(meterbridge::md5("")) == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(hex(meterbridge::md5("abc")) == "900150983cd24fb0d6963f7d28e17f72");
  CHECK(hex(meterbridge::sha256("abc")) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // Bytes, not text: a NUL inside the data counts.
  CHECK(meterbridge::md5(std::string("a\0b", 3)) != meterbridge::md5("a"));
  // base64 of a raw MD5, as a Content-MD5 style checksum is sent.
  CHECK(meterbridge::base64_encode(meterbridge::md5("")) == "1B2M2Y8AsgTpgAmY7PhCfg==");
}
