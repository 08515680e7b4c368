// connectwise-manage client helpers: base64, conditions quoting, Link header, error messages.
#include <catch2/catch.hpp>

#include "cw_client.hpp"

using namespace connectwise_manage;

TEST_CASE("base64 encodes with padding") {
  CHECK(base64("") == "");
  CHECK(base64("f") == "Zg==");
  CHECK(base64("fo") == "Zm8=");
  CHECK(base64("foo") == "Zm9v");
  CHECK(base64("acme+pub:priv") == "YWNtZStwdWI6cHJpdg==");
}

TEST_CASE("conditions values are double-quoted with escapes") {
  CHECK(quote("Managed Service") == "\"Managed Service\"");
  CHECK(quote("say \"hi\"") == "\"say \\\"hi\\\"\"");
  CHECK(quote("a\\b") == "\"a\\\\b\"");
  CHECK(percent_encode("a b=\"c\"") == "a%20b%3D%22c%22");
}

TEST_CASE("Link header: rel=next is found among others") {
  CHECK(next_link("<https://x/a?page=2&pageSize=2>; rel=\"next\", <https://x/a?page=3>; "
                  "rel=\"last\"") == std::optional<std::string>("https://x/a?page=2&pageSize=2"));
  CHECK(next_link("<https://x/a?page=1>; rel=\"prev\", <https://x/a?page=1>; rel=\"first\"") ==
        std::nullopt);
  CHECK(next_link("<https://x/a?c=in%20(1,2)&page=2>; rel=\"next\"") ==
        std::optional<std::string>("https://x/a?c=in%20(1,2)&page=2"));
  CHECK(next_link("") == std::nullopt);
}

TEST_CASE("ConnectWise error bodies become one message") {
  CHECK(cw_error_message(R"({"code":"InvalidObject","message":"addition is invalid",)"
                         R"("errors":[{"code":"ObjectExists","message":"product not found"}]})") ==
        "InvalidObject: addition is invalid (product not found)");
  CHECK(cw_error_message("not json").empty());
  CHECK(url_path("https://h/v4_6_release/apis/3.0/x?y=1") == "/v4_6_release/apis/3.0/x");
  CHECK(is_numeric_id("123"));
  CHECK_FALSE(is_numeric_id("12a"));
  CHECK_FALSE(is_numeric_id(""));
}
