// The SDK's paging loops (paging.hpp): the three shapes, the page cap, the guard against a
// repeated page, and the cancellation check between pages.
#include <catch2/catch.hpp>

#include <meterbridge/paging.hpp>
#include <meterbridge/testing.hpp>

#include <vector>

using meterbridge::json;
using meterbridge::testing::FakeHost;
namespace paging = meterbridge::paging;

namespace {

template <class Run>
std::pair<mb_status, std::string> failure_of(Run&& run) {
  try {
    run();
  } catch (const meterbridge::Error& e) {
    return {e.status(), e.what()};
  }
  return {MB_OK, ""};
}

}  // namespace

TEST_CASE("paging: page numbers run until the last page") {
  FakeHost fake;
  meterbridge::Host host(fake.table());
  std::vector<int64_t> asked;
  int64_t pages = paging::by_number(host, "GET /v1/clients", [&](int64_t page) {
    asked.push_back(page);
    return paging::page(json::array({page * 10, page * 10 + 1}), page < 3);
  });
  CHECK(pages == 3);
  CHECK(asked == std::vector<int64_t>{1, 2, 3});
  // An empty page ends the listing even when the service claims more.
  CHECK(paging::by_number(host, "GET /v1/x",
                          [](int64_t) { return paging::page(json::array(), true); }) == 1);
}

TEST_CASE("paging: a page that repeats the one before fails the listing") {
  FakeHost fake;
  meterbridge::Host host(fake.table());
  auto [status, message] = failure_of([&] {
    paging::by_number(host, "GET /v1/clients", [](int64_t) {
      return paging::page(json::array({1, 2}), true);
    });
  });
  CHECK(status == MB_E_TRANSIENT);
  CHECK(message.find("GET /v1/clients: page 2 repeats the page before it") == 0);
}

TEST_CASE("paging: the page cap ends a listing that never ends") {
  FakeHost fake;
  meterbridge::Host host(fake.table());
  int calls = 0;
  auto [status, message] = failure_of([&] {
    paging::by_number(
        host, "GET /v1/clients",
        [&](int64_t page) {
          ++calls;
          return paging::page(json::array({page}), true);
        },
        1, 5);
  });
  CHECK(status == MB_E_TRANSIENT);
  CHECK(message == "GET /v1/clients did not end after 5 pages");
  CHECK(calls == 5);
}

TEST_CASE("paging: the host's cancellation is checked between pages") {
  FakeHost fake;
  meterbridge::Host host(fake.table());
  int calls = 0;
  auto [status, message] = failure_of([&] {
    paging::by_cursor(host, "GET /v1/usage", "", [&](const std::string&) {
      ++calls;
      fake.cancelled = true;  // the operator stops the run while page 1 is read
      return std::string("k2");
    });
  });
  CHECK(status == MB_E_CANCELLED);
  CHECK(calls == 1);
}

TEST_CASE("paging: cursors are followed and a repeated cursor is a loop") {
  FakeHost fake;
  meterbridge::Host host(fake.table());
  std::vector<std::string> asked;
  CHECK(paging::by_cursor(host, "GET /v1/usage", "", [&](const std::string& key) {
          asked.push_back(key);
          return key == "" ? std::string("k2") : key == "k2" ? std::string("k3") : std::string();
        }) == 3);
  CHECK(asked == std::vector<std::string>{"", "k2", "k3"});

  auto [status, message] = failure_of([&] {
    paging::by_cursor(host, "GET /v1/usage", "", [&](const std::string& key) {
      return key == "k2" ? std::string("k3") : std::string("k2");
    });
  });
  CHECK(status == MB_E_TRANSIENT);
  CHECK(message.find("GET /v1/usage: page 4 would repeat an earlier page") == 0);
}

TEST_CASE("paging: a next-page URL must stay on the first page's host") {
  FakeHost fake;
  meterbridge::Host host(fake.table());
  std::vector<std::string> asked;
  paging::by_next_url(
      host, "GET /v1/sites", "https://api.acme.test/v1/sites", [&](const std::string& url) {
        asked.push_back(url);
        return asked.size() < 2 ? std::string("https://API.acme.test/v1/sites?page=2")
                                : std::string();
      });
  CHECK(asked.size() == 2);
  auto [status, message] = failure_of([&] {
    paging::by_next_url(host, "GET /v1/sites", "https://api.acme.test/v1/sites",
                        [](const std::string&) { return std::string("https://evil.test/steal"); });
  });
  CHECK(status == MB_E_TRANSIENT);
  CHECK(message.find("another host (https://evil.test, not https://api.acme.test)") !=
        std::string::npos);
}

TEST_CASE("paging: Link headers give the next page") {
  meterbridge::HttpResponse r;
  r.headers["link"] =
      R"(<https://api.acme.test/v1/c?page=1>; rel="prev", <https://api.acme.test/v1/c?page=3>; rel="next", <https://api.acme.test/v1/c?page=9>; rel="last")";
  CHECK(paging::link_next(r, "https://api.acme.test/v1/c?page=2") ==
        "https://api.acme.test/v1/c?page=3");
  r.headers["link"] = R"(</v1/c?page=4>; rel="next last")";
  CHECK(paging::link_next(r, "https://api.acme.test/v1/c?page=3") ==
        "https://api.acme.test/v1/c?page=4");
  r.headers["link"] = R"(<https://api.acme.test/v1/c?page=1>; rel="first")";
  CHECK_FALSE(paging::link_next(r, "https://api.acme.test/v1/c").has_value());
  r.headers.clear();
  CHECK_FALSE(paging::link_next(r, "https://api.acme.test/v1/c").has_value());
}
