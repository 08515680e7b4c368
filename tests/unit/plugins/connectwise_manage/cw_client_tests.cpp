// connectwise-manage client helpers: conditions quoting, error messages, and the SDK helpers on
// ConnectWise's own shapes (Basic credentials, Link headers).
#include <catch2/catch.hpp>

#include <meterbridge/paging.hpp>

#include "cw_client.hpp"

using namespace connectwise_manage;

TEST_CASE("Basic credentials are company+public_key:private_key") {
  CHECK(meterbridge::basic_auth("acme+pub", "priv") == "Basic YWNtZStwdWI6cHJpdg==");
}

TEST_CASE("conditions values are double-quoted with escapes") {
  CHECK(quote("Managed Service") == "\"Managed Service\"");
  CHECK(quote("say \"hi\"") == "\"say \\\"hi\\\"\"");
  CHECK(quote("a\\b") == "\"a\\\\b\"");
  CHECK(meterbridge::percent_encode("a b=\"c\"") == "a%20b%3D%22c%22");
}

TEST_CASE("Link header: rel=next is found among others") {
  auto next = [](const char* link) {
    meterbridge::HttpResponse r;
    r.headers["link"] = link;
    return meterbridge::paging::link_next(r, "https://x/a?page=1");
  };
  CHECK(next("<https://x/a?page=2&pageSize=2>; rel=\"next\", <https://x/a?page=3>; "
             "rel=\"last\"") == std::optional<std::string>("https://x/a?page=2&pageSize=2"));
  CHECK(next("<https://x/a?page=1>; rel=\"prev\", <https://x/a?page=1>; rel=\"first\"") ==
        std::nullopt);
  CHECK(next("<https://x/a?c=in%20(1,2)&page=2>; rel=\"next\"") ==
        std::optional<std::string>("https://x/a?c=in%20(1,2)&page=2"));
  CHECK(next("") == std::nullopt);
}

TEST_CASE("ConnectWise error bodies become one message") {
  CHECK(cw_error_message(R"({"code":"InvalidObject","message":"addition is invalid",)"
                         R"("errors":[{"code":"ObjectExists","message":"product not found"}]})") ==
        "InvalidObject: addition is invalid (product not found)");
  CHECK(cw_error_message("not json").empty());
  CHECK(is_numeric_id("123"));
  CHECK_FALSE(is_numeric_id("12a"));
  CHECK_FALSE(is_numeric_id(""));
}
