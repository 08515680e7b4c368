// Synthetic usage exports for bench/billing_collect_plan.sh: one file-drop CSV per day,
// `usage-YYYY-MM-DD.csv`, CUSTOMERS x SKUS rows each (metric "seats").
//
// Usage: bench_generate_usage OUTDIR [--customers N] [--skus N] [--days N] [--month YYYY-MM]
//                              [--change-percent P] [--every-day] [--seed S]
//
// Defaults: 10000 customers, 20 SKUs, 31 days of 2026-10, 5 % of the series changing on a given
// day (so the compact store keeps long runs, as with real seat counts). --every-day changes every
// value every day: the worst case for the compact store (one run per series and day).
// The output is deterministic for a given set of options.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

uint64_t splitmix(uint64_t& s) {
  uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

[[noreturn]] void usage(const char* msg) {
  std::fprintf(stderr,
               "bench_generate_usage: %s\nusage: bench_generate_usage OUTDIR [--customers N] "
               "[--skus N] [--days N] [--month YYYY-MM] [--change-percent P] [--every-day] "
               "[--seed S]\n",
               msg);
  std::exit(2);
}

const char* const kTrades[] = {"Dental",    "Logistics", "Legal",      "Bakery",  "Clinic",
                               "Builders",  "Foods",     "Consulting", "Motors",  "Pharmacy",
                               "Insurance", "Realty",    "Printing",   "Optics",  "Studio",
                               "Hotels",    "Farms",     "Textiles",   "Freight", "Accounting"};
const char* const kForms[] = {"LLC", "Inc", "GmbH", "S.r.l.", "Ltd", "SA", "BV", "Oy"};
const char* const kProducts[] = {"Endpoint Protection Standard",
                                 "Endpoint Protection Advanced",
                                 "Email Security",
                                 "Web Gateway",
                                 "Server Protection",
                                 "Mobile Security",
                                 "Backup Workstation",
                                 "Backup Server",
                                 "Backup Microsoft 365",
                                 "Remote Monitoring Agent",
                                 "Patch Management",
                                 "Firewall Managed",
                                 "MFA User",
                                 "Password Manager",
                                 "Security Awareness",
                                 "EDR Add-on",
                                 "Disk Encryption",
                                 "Device Control",
                                 "Cloud App Security",
                                 "Vulnerability Scan"};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) usage("missing OUTDIR");
  fs::path out = argv[1];
  long customers = 10000, skus = 20, days = 31, change_percent = 5;
  bool every_day = false;
  uint64_t seed = 20261001;
  int year = 2026, month = 10;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value of " + a).c_str());
      return argv[++i];
    };
    if (a == "--customers")
      customers = std::atol(value().c_str());
    else if (a == "--skus")
      skus = std::atol(value().c_str());
    else if (a == "--days")
      days = std::atol(value().c_str());
    else if (a == "--change-percent")
      change_percent = std::atol(value().c_str());
    else if (a == "--every-day")
      every_day = true;
    else if (a == "--seed")
      seed = std::strtoull(value().c_str(), nullptr, 10);
    else if (a == "--month") {
      std::string m = value();
      if (std::sscanf(m.c_str(), "%d-%d", &year, &month) != 2 || month < 1 || month > 12) {
        usage("--month: expected YYYY-MM");
      }
    } else
      usage(("unknown option " + a).c_str());
  }
  static const int kMonthDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int month_days = kMonthDays[month - 1] + (month == 2 && leap ? 1 : 0);
  if (customers < 1 || skus < 1 || skus > 20 || days < 1 || days > month_days ||
      change_percent < 0 || change_percent > 100) {
    usage(
        "out of range: 1 <= customers, 1 <= skus <= 20, 1 <= days <= days of the month, "
        "0 <= P <= 100");
  }
  fs::create_directories(out);

  const size_t series = static_cast<size_t>(customers) * static_cast<size_t>(skus);
  std::vector<int> qty(series);
  uint64_t rng = seed;
  for (auto& q : qty) q = 1 + static_cast<int>(splitmix(rng) % 200);

  std::vector<std::string> names(static_cast<size_t>(customers));
  for (long c = 0; c < customers; ++c) {
    char buf[96];
    uint64_t h = splitmix(rng);
    std::snprintf(buf, sizeof buf, "Customer %05ld %s %s", c + 1, kTrades[h % 20],
                  kForms[(h >> 8) % 8]);
    names[static_cast<size_t>(c)] = buf;
  }

  uint64_t rows = 0;
  for (long d = 1; d <= days; ++d) {
    char date[32];
    std::snprintf(date, sizeof date, "%04d-%02d-%02ld", year, month, d);
    if (d > 1) {  // today's values from yesterday's
      for (auto& q : qty) {
        uint64_t r = splitmix(rng);
        if (every_day) {
          q = (q > 1 && (r & 1)) ? q - 1 : q + 1;
        } else if (r % 100 < static_cast<uint64_t>(change_percent)) {
          int delta = 1 + static_cast<int>((r >> 8) % 5);
          q = ((r >> 16) & 1) && q > delta ? q - delta : q + delta;
        }
      }
    }
    fs::path file = out / (std::string("usage-") + date + ".csv");
    fs::path tmp = file.string() + ".part";  // file-drop ignores *.part while it is written
    FILE* f = std::fopen(tmp.c_str(), "w");
    if (!f) usage(("cannot write " + tmp.string()).c_str());
    std::fputs("date,customer_id,customer_name,sku,product_name,metric,quantity\n", f);
    for (long c = 0; c < customers; ++c) {
      for (long s = 0; s < skus; ++s) {
        std::fprintf(
            f, "%s,T-%05ld,%s,SKU-%02ld,%s,seats,%d\n", date, c + 1,
            names[static_cast<size_t>(c)].c_str(), s + 1, kProducts[s],
            qty[static_cast<size_t>(c) * static_cast<size_t>(skus) + static_cast<size_t>(s)]);
        ++rows;
      }
    }
    if (std::fclose(f) != 0) usage(("cannot write " + tmp.string()).c_str());
    fs::rename(tmp, file);
  }
  std::printf("wrote %ld files, %llu rows to %s\n", days, static_cast<unsigned long long>(rows),
              out.c_str());
  return 0;
}
