// Paging loops for the three shapes vendor APIs use, with the guards every one of them needs:
// a page cap, a check that the service does not hand the same page again (which would count
// every customer twice or loop for ever), and the host's cancellation check between pages.
//
// 1. Page numbers (?page=1, 2, ...):
//      meterbridge::paging::by_number(host, "GET /v1/clients", [&](int64_t page) {
//        json body = acme.get("v1", "clients").query("page", page).send().json();
//        for (const json& c : body.at("clients")) add(c);
//        return meterbridge::paging::page(body.at("clients"), page < body.at("total_pages"));
//      });
// 2. A next-page key or URL in the body (Sophos pageFromKey, Autotask/Datto nextPageUrl):
//      meterbridge::paging::by_next_url(host, "POST /Companies/query", first_url,
//                                       [&](const std::string& url) {
//        json body = api.at("GET", url).send().json();
//        ...
//        return body["pageDetails"].value("nextPageUrl", "");  // "" or null: the last page
//      });
//    by_cursor() is the same for an opaque key (the first call gets `first`, often "").
// 3. A Link header (RFC 8288, rel="next"):
//      by_next_url(host, what, first_url, [&](const std::string& url) {
//        ApiResponse r = api.at("GET", url).send();
//        ...
//        return link_next(r, url).value_or("");
//      });
//
// Every helper throws MB_E_TRANSIENT naming `what` when the listing does not end within
// max_pages or repeats itself, and MB_E_CANCELLED when the host asks to stop: a listing is read
// whole or not at all (a source must not answer part of a day, PROTOCOL.md P6.1).
#pragma once

#include <meterbridge/http.hpp>
#include <meterbridge/plugin.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace meterbridge::paging {

inline constexpr int64_t kDefaultMaxPages = 10'000;

// What a page-number fetch answers: whether another page follows, and a fingerprint of the
// page's items so that a service that ignores the page parameter is caught.
struct Page {
  bool more = false;
  size_t fingerprint = 0;  // 0: not checked
};

// A page of `items` (any JSON, usually the array of the page), `more` when another follows. An
// empty page never has more: a listing that hands out empty pages has ended.
inline Page page(const json& items, bool more) {
  if (items.empty()) return {false, 0};
  return {more, std::hash<std::string>{}(items.dump())};
}

// Calls fetch(page) for page = first, first + 1, ... while it answers more. Returns the number
// of pages read.
template <class Fetch>
int64_t by_number(const Host& host, const std::string& what, Fetch&& fetch, int64_t first = 1,
                  int64_t max_pages = kDefaultMaxPages) {
  size_t previous = 0;
  for (int64_t n = 0; n < max_pages; ++n) {
    host.throw_if_cancelled();
    const int64_t number = first + n;
    Page p = fetch(number);
    if (p.fingerprint != 0 && p.fingerprint == previous) {
      throw transient_error(what + ": page " + std::to_string(number) +
                            " repeats the page before it (the service ignores the page "
                            "parameter?); the listing cannot be read whole");
    }
    previous = p.fingerprint;
    if (!p.more) return n + 1;
  }
  throw transient_error(what + " did not end after " + std::to_string(max_pages) + " pages");
}

// Calls fetch(cursor) with `first`, then with each cursor it answers, until it answers "". A
// cursor handed out twice is a loop and fails the listing. Returns the number of pages read.
template <class Fetch>
int64_t by_cursor(const Host& host, const std::string& what, const std::string& first,
                  Fetch&& fetch, int64_t max_pages = kDefaultMaxPages) {
  std::set<std::string> seen;
  std::string cursor = first;
  for (int64_t n = 0; n < max_pages; ++n) {
    host.throw_if_cancelled();
    seen.insert(cursor);
    std::string next = fetch(static_cast<const std::string&>(cursor));
    if (next.empty()) return n + 1;
    if (seen.count(next) != 0) {
      throw transient_error(what + ": page " + std::to_string(n + 2) +
                            " would repeat an earlier page (the service hands out the same "
                            "page key again); the listing cannot be read whole");
    }
    cursor = std::move(next);
  }
  throw transient_error(what + " did not end after " + std::to_string(max_pages) + " pages");
}

// by_cursor for absolute next-page URLs, which must stay on the origin of first_url: the
// plugin's credentials go with every page, so a next link to another host is refused.
template <class Fetch>
int64_t by_next_url(const Host& host, const std::string& what, const std::string& first_url,
                    Fetch&& fetch, int64_t max_pages = kDefaultMaxPages) {
  const std::string origin = url_origin(first_url);
  return by_cursor(
      host, what, first_url,
      [&](const std::string& url) -> std::string {
        std::string next = fetch(url);
        if (!next.empty() && url_origin(next) != origin) {
          throw transient_error(what + ": the next page is on another host (" + url_origin(next) +
                                ", not " + origin + "); refusing to send the credentials there");
        }
        return next;
      },
      max_pages);
}

// The rel="next" target of a Link header (RFC 8288), made absolute against request_url when it
// is a path ("/v1/clients?page=3"). nullopt when there is no next link.
inline std::optional<std::string> link_next(const HttpResponse& r, std::string_view request_url) {
  std::optional<std::string> header = r.header("link");
  if (!header) return std::nullopt;
  std::string_view rest = *header;
  while (!rest.empty()) {
    const size_t open = rest.find('<');
    if (open == std::string_view::npos) break;
    const size_t close = rest.find('>', open);
    if (close == std::string_view::npos) break;
    std::string_view target = rest.substr(open + 1, close - open - 1);
    size_t end = rest.find('<', close);
    std::string_view params = rest.substr(
        close + 1, end == std::string_view::npos ? std::string_view::npos : end - close - 1);
    std::string lowered(params);
    for (char& c : lowered) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    // rel may list several types: rel="next last".
    for (std::string_view form : {"rel=\"next\"", "rel=next", "rel=\"next ", " next\""}) {
      if (lowered.find(form) == std::string::npos) continue;
      std::string url(target);
      if (!url.empty() && url[0] == '/') url = url_origin(request_url) + url;
      return url;
    }
    if (end == std::string_view::npos) break;
    rest = rest.substr(end);
  }
  return std::nullopt;
}

}  // namespace meterbridge::paging
