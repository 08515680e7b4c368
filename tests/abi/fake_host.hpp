// A minimal mb_host_api for loader tests: records log lines, offers nothing else.
#pragma once

#include <meterbridge/abi.h>

#include <string>
#include <vector>

struct FakeHostTable {
  FakeHostTable();
  mb_host_api table{};
  std::vector<std::string> lines;
};
