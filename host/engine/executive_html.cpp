// The executive summary as one self-contained HTML page: inline CSS and SVG only, so that it
// opens from a mail attachment or a file share without fetching anything.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "engine/executive_report.hpp"

namespace meterbridge::host::engine {

namespace {

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string fixed(double v, int digits) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(digits);
  out << v;
  return out.str();
}

std::string quantity(double v) {
  return std::floor(v) == v ? fixed(v, 0) : fixed(v, 2);
}

constexpr const char* kColors[] = {"#1f6feb", "#d1242f", "#1a7f37", "#9a6700",
                                   "#8250df", "#bf3989", "#0a7e8c", "#57606a"};

// Grouped bars: one group per month, one bar per product, a legend under the axis.
std::string usage_chart(const ExecutiveReport& r) {
  const int width = 720, height = 280, left = 48, bottom = 40, top = 16;
  double max = 0;
  for (const auto& p : r.products) {
    for (double q : p.history) max = std::max(max, q);
  }
  if (max <= 0) max = 1;
  const double plot_h = height - bottom - top;
  const double group_w = static_cast<double>(width - left - 8) / r.months.size();
  const size_t n = std::max<size_t>(1, r.products.size());
  const double bar_w = std::max(2.0, (group_w - 12) / n);
  std::ostringstream svg;
  const size_t legend_rows = (r.products.size() + 1) / 2;  // two names a row: long names fit
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"" << width
      << "\" height=\"" << height + 24 * legend_rows << "\" viewBox=\"0 0 " << width << ' '
      << height + 24 * legend_rows << "\" aria-label=\"Usage per product over the months\">\n";
  for (int i = 0; i <= 4; ++i) {
    const double y = top + plot_h - plot_h * i / 4;
    svg << "<line x1=\"" << left << "\" y1=\"" << fixed(y, 1) << "\" x2=\"" << width - 8
        << "\" y2=\"" << fixed(y, 1) << "\" stroke=\"#d0d7de\"/>"
        << "<text x=\"" << left - 6 << "\" y=\"" << fixed(y + 4, 1)
        << "\" text-anchor=\"end\" class=\"axis\">" << quantity(max * i / 4) << "</text>\n";
  }
  for (size_t m = 0; m < r.months.size(); ++m) {
    const double gx = left + group_w * m + 6;
    for (size_t p = 0; p < r.products.size(); ++p) {
      const double q = r.products[p].history[m];
      const double h = plot_h * q / max;
      svg << "<rect x=\"" << fixed(gx + bar_w * p, 1) << "\" y=\"" << fixed(top + plot_h - h, 1)
          << "\" width=\"" << fixed(bar_w - 1, 1) << "\" height=\"" << fixed(h, 1) << "\" fill=\""
          << kColors[p % 8] << "\"><title>" << escape(r.products[p].line_name) << ' ' << r.months[m]
          << ": " << quantity(q) << "</title></rect>\n";
    }
    svg << "<text x=\"" << fixed(gx + (group_w - 12) / 2, 1) << "\" y=\"" << height - bottom + 18
        << "\" text-anchor=\"middle\" class=\"axis\">" << r.months[m] << "</text>\n";
  }
  for (size_t p = 0; p < r.products.size(); ++p) {
    const double x = left + 340.0 * (p % 2);
    const double y = height + 24.0 * (p / 2);
    svg << "<rect x=\"" << fixed(x, 1) << "\" y=\"" << fixed(y - 10, 1)
        << "\" width=\"12\" height=\"12\" fill=\"" << kColors[p % 8] << "\"/><text x=\""
        << fixed(x + 18, 1) << "\" y=\"" << fixed(y, 1) << "\" class=\"legend\">"
        << escape(r.products[p].line_name) << "</text>\n";
  }
  svg << "</svg>\n";
  return svg.str();
}

std::string usage_table(const ExecutiveReport& r) {
  std::ostringstream t;
  t << "<table><thead><tr><th>Product</th><th class=\"n\">In use</th><th class=\"n\">Billed</th>"
       "<th class=\"n\">Unit price</th><th class=\"n\">Value</th></tr></thead><tbody>\n";
  for (const auto& p : r.products) {
    t << "<tr><td>" << escape(p.line_name) << " <span class=\"id\">" << escape(p.line_id)
      << "</span></td><td class=\"n\">" << quantity(p.quantity) << "</td><td class=\"n\">"
      << (p.billed ? quantity(*p.billed) : std::string("not yet")) << "</td><td class=\"n\">"
      << (p.unit_price ? fixed(*p.unit_price, 2) : std::string("-")) << "</td><td class=\"n\">"
      << (p.value ? fixed(*p.value, 2) : std::string("-")) << "</td></tr>\n";
  }
  t << "</tbody>";
  if (r.total_value) {
    t << "<tfoot><tr><td colspan=\"4\">Total</td><td class=\"n\" id=\"total-value\">"
      << fixed(*r.total_value, 2) << "</td></tr></tfoot>";
  }
  t << "</table>\n";
  return t.str();
}

std::string detection_table(const CompanyDetections& d) {
  std::ostringstream t;
  t << "<table><thead><tr><th>Product</th><th class=\"n\">Messages</th><th class=\"n\">Spam</th>"
       "<th class=\"n\">Phishing</th><th class=\"n\">Malware</th><th class=\"n\">Blocked</th>"
       "</tr></thead><tbody>\n";
  auto row = [&](const std::string& name, const DetectionCounts& c, const char* cls) {
    t << "<tr class=\"" << cls << "\"><td>" << escape(name) << "</td><td class=\"n\">"
      << c.total_messages << "</td><td class=\"n\">" << c.spam << "</td><td class=\"n\">"
      << c.phishing << "</td><td class=\"n\">" << c.malware << "</td><td class=\"n\">" << c.blocked
      << "</td></tr>\n";
  };
  for (const auto& [name, c] : d.products) row(name, c, "product");
  row("Total", d.total(), "total");
  t << "</tbody></table>\n";
  return t.str();
}

}  // namespace

std::string executive_html(const ExecutiveReport& r) {
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>"
    << escape(executive_title(r)) << "</title>\n<style>\n"
    << "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:32px;color:#1f2328}"
       "h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}"
       ".sub{color:#57606a;margin:0 0 16px}.cards{display:flex;gap:16px;margin:16px 0}"
       ".card{border:1px solid #d0d7de;border-radius:8px;padding:12px 16px;min-width:140px}"
       ".card b{display:block;font-size:22px}table{border-collapse:collapse;min-width:560px}"
       "th,td{border-bottom:1px solid #d0d7de;padding:6px 10px;text-align:left}"
       ".n{text-align:right;font-variant-numeric:tabular-nums}.id{color:#57606a;font-size:12px}"
       "tfoot td,tr.total td{font-weight:600}.axis,.legend{font-size:12px;fill:#57606a}"
       "footer{margin-top:32px;color:#57606a;font-size:12px}\n"
    << "</style></head><body>\n";
  h << "<h1>" << escape(r.company_name) << "</h1>\n<p class=\"sub\">Executive summary, "
    << r.period;
  if (r.dates.end) {
    h << " (billing period " << format_iso_date(r.dates.start) << " to "
      << format_iso_date(r.dates.end) << ")";
  }
  h << " &middot; " << escape(r.psa) << " company " << escape(r.company_id) << "</p>\n";
  h << "<div class=\"cards\">";
  h << "<div class=\"card\">Products<b id=\"products\">" << r.products.size() << "</b></div>";
  if (r.total_value) {
    h << "<div class=\"card\">Value billed<b id=\"value\">" << fixed(*r.total_value, 2)
      << "</b></div>";
  }
  if (r.detections) {
    const DetectionCounts t = r.detections->total();
    h << "<div class=\"card\">Messages scanned<b id=\"messages\">" << t.total_messages
      << "</b></div><div class=\"card\">Threats stopped<b id=\"threats\">"
      << t.spam + t.phishing + t.malware << "</b></div>";
  }
  h << "</div>\n<h2>Usage and billing</h2>\n" << usage_table(r);
  h << "<h2>Usage per product, " << r.months.front() << " to " << r.months.back() << "</h2>\n"
    << usage_chart(r);
  if (r.detections) h << "<h2>Email security</h2>\n" << detection_table(*r.detections);
  h << "<footer>Generated by meterbridge from its billing store: the planned quantities, the "
       "quantities last billed into the PSA, and the vendor's detection counts.</footer>\n"
       "</body></html>\n";
  return h.str();
}

}  // namespace meterbridge::host::engine
