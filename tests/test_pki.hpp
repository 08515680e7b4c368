// A throwaway certificate authority for TLS tests: a CA and a server certificate for 127.0.0.1
// (and localhost) signed by it, made with the openssl CLI under the temp directory. Files in the
// returned directory: ca.pem, ca.key, server.pem, server.key.
#pragma once

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

inline std::filesystem::path make_test_pki(const std::string& name) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("mb-pki-" + std::to_string(getpid())) / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string script =
      "cd '" + dir.string() +
      "' && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "
      "'/CN=meterbridge test CA " +
      name +
      "' >/dev/null 2>&1 && "
      "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "
      "'/CN=127.0.0.1' >/dev/null 2>&1 && "
      "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > ext.cnf && "
      "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem "
      "-days 2 -extfile ext.cnf >/dev/null 2>&1";
  REQUIRE(std::system(script.c_str()) == 0);
  return dir;
}
