#include "engine/summary_text.hpp"

#include <sstream>

namespace meterbridge::host::engine {

SummaryPeriod summary_period(Recurrence::Every every, Day send_day) {
  const Day yesterday = send_day - 1;
  if (every == Recurrence::Every::day) return {format_iso_date(yesterday), yesterday, yesterday};
  if (every == Recurrence::Every::week) {
    const Day from = send_day - 7;
    return {format_iso_date(from) + ".." + format_iso_date(yesterday), from, yesterday};
  }
  const YearMonth month = previous_month(year_month_of(send_day));
  return {format_year_month(month), first_day_of(month),
          first_day_of(month) + days_in_month(month) - 1};
}

void DetectionCounts::add(const DetectionCounts& o) {
  spam += o.spam;
  phishing += o.phishing;
  malware += o.malware;
  blocked += o.blocked;
  total_messages += o.total_messages;
}

nlohmann::json DetectionCounts::to_json() const {
  return {{"spam", spam},
          {"phishing", phishing},
          {"malware", malware},
          {"blocked", blocked},
          {"total_messages", total_messages}};
}

DetectionCounts CompanyDetections::total() const {
  DetectionCounts t;
  for (const auto& [name, c] : products) t.add(c);
  return t;
}

std::string detection_title(const std::string& company_name, const SummaryPeriod& p) {
  return "Email security detections " + p.label + ": " + company_name;
}

std::string detection_text(const std::string& company_name, const SummaryPeriod& p,
                           const CompanyDetections& d) {
  std::ostringstream out;
  const DetectionCounts t = d.total();
  out << "Email security detection summary for " << company_name << "\n"
      << "Period: " << format_iso_date(p.from) << " to " << format_iso_date(p.to) << "\n\n"
      << "Messages scanned: " << t.total_messages << "\n"
      << "Spam: " << t.spam << "\n"
      << "Phishing: " << t.phishing << "\n"
      << "Malware: " << t.malware << "\n"
      << "Blocked: " << t.blocked << "\n";
  if (d.products.size() > 1 || !d.products.empty()) {
    out << "\nBy product:\n";
    for (const auto& [name, c] : d.products) {
      out << "- " << name << ": " << c.total_messages << " messages, " << c.spam << " spam, "
          << c.phishing << " phishing, " << c.malware << " malware, " << c.blocked << " blocked\n";
    }
  }
  out << "\nSent by meterbridge.\n";
  return out.str();
}

}  // namespace meterbridge::host::engine
