// The classification rule of datto_billing.hpp, device by device.
#include <catch2/catch.hpp>

#include "datto_billing.hpp"

using datto_rmm::classify;
using datto_rmm::Sku;
using meterbridge::json;

namespace {

json device(const char* cls, const char* category, const char* type = "") {
  return {
      {"uid", "d"}, {"deviceClass", cls}, {"deviceType", {{"category", category}, {"type", type}}}};
}

std::vector<Sku> skus(const json& d) {
  return classify(d).skus;
}

}  // namespace

TEST_CASE("computers are desktops, laptops or servers by deviceType category") {
  CHECK(skus(device("device", "Desktop")) == std::vector<Sku>{Sku::kDesktopLaptop, Sku::kDesktop});
  CHECK(skus(device("device", "Laptop")) == std::vector<Sku>{Sku::kDesktopLaptop, Sku::kLaptop});
  CHECK(skus(device("device", "Server", "Main System Chassis")) == std::vector<Sku>{Sku::kServer});
  CHECK(skus(device("device", "", "Notebook")) ==
        std::vector<Sku>{Sku::kDesktopLaptop, Sku::kLaptop});
  CHECK(skus(device("device", "Something new")) == std::vector<Sku>{Sku::kUnknown});
}

TEST_CASE("deviceClass decides printers, ESXi hosts, network devices and unknown") {
  CHECK(skus(device("printer", "Printer")) == std::vector<Sku>{Sku::kPrinter});
  CHECK(skus(device("esxihost", "ESXi Host")) == std::vector<Sku>{Sku::kEsxiHost});
  CHECK(skus(device("rmmnetworkdevice", "Network Device", "Router")) ==
        std::vector<Sku>{Sku::kNetworkDevice});
  CHECK(skus(device("unknown", "")) == std::vector<Sku>{Sku::kUnknown});
  CHECK(skus(json{{"uid", "x"}}) == std::vector<Sku>{Sku::kUnknown});
}

TEST_CASE("deleted, suspended and mobile devices are not billable") {
  json deleted = device("device", "Desktop");
  deleted["deleted"] = true;
  json suspended = device("device", "Laptop");
  suspended["suspended"] = true;
  CHECK(classify(deleted).skipped == "deleted");
  CHECK(classify(suspended).skipped == "suspended");
  CHECK(classify(device("device", "Mobile", "Smartphone")).skipped == "mobile");
  CHECK(classify(device("device", "Tablet")).skipped == "mobile");
  datto_rmm::SiteCounts counts;
  counts.add(classify(deleted));
  counts.add(classify(device("device", "Desktop")));
  counts.add(classify(device("device", "Laptop")));
  CHECK(counts.count(Sku::kTotal) == 2);
  CHECK(counts.count(Sku::kDesktopLaptop) == 2);
  CHECK(counts.count(Sku::kDesktop) == 1);
}
