// Renders rows as an aligned plain-text table for people (the `--format table` output).
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace meterbridge::host {

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> headers);
  void add_row(std::vector<std::string> cells);
  void print(std::ostream& out) const;
  bool empty() const { return rows_.empty(); }

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace meterbridge::host
