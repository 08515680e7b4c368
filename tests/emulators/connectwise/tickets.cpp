// Service boards and service tickets of the ConnectWise emulator (service.hpp). The models
// follow ConnectWise's OpenAPI document as the generated clients show it (Jetbuilt/connect_wise
// docs/Ticket.md, Board.md, BoardReference.md, ServiceStatusReference.md); README.md says which
// behaviour is confirmed and which is our choice.
#include <cctype>

#include "api_support.hpp"
#include "service.hpp"

namespace cw_emu {

namespace {

constexpr std::size_t kSummaryMax = 100;  // Ticket.summary: "Max length: 100"

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

FieldError required(const std::string& field, const std::string& message) {
  return {"Required", field, message};
}
FieldError invalid_field(const std::string& field, const std::string& message) {
  return {"InvalidField", field, message};
}

// board {id} (the spec's reference) or {name} (our choice, unconfirmed): an active board.
std::optional<FieldError> board_of(State& st, const nlohmann::json& in, nlohmann::json& out) {
  if (!in.contains("board") || in["board"].is_null())
    return required("board", "board {id} is required");
  const auto& r = in["board"];
  if (!r.is_object()) return invalid_field("board", "board must be an object with an id");
  const nlohmann::json* b = nullptr;
  if (r.contains("id") && !r["id"].is_null()) {
    if (!r["id"].is_number_integer()) return invalid_field("board", "board/id must be an integer");
    b = find_by_id(st.data().boards, r["id"].get<long long>());
  } else if (r.contains("name") && r["name"].is_string()) {
    for (const auto& x : st.data().boards)
      if (lower(x["name"].get<std::string>()) == lower(r["name"].get<std::string>())) b = &x;
  } else {
    return invalid_field("board", "board needs an id");
  }
  if (!b) return invalid_field("board", "board " + r.dump() + " was not found");
  if (b->value("inactiveFlag", false))
    return invalid_field("board", "board " + (*b)["name"].get<std::string>() + " is inactive");
  out["board"] = reference(st.base_url(), "board", "/service/boards/" + (*b)["id"].dump(),
                           {{"id", (*b)["id"]}, {"name", (*b)["name"]}});
  return std::nullopt;
}

// company {id}: a company that exists and is not deleted.
std::optional<FieldError> company_of(State& st, const nlohmann::json& in, nlohmann::json& out) {
  if (!in.contains("company") || in["company"].is_null())
    return required("company", "company {id} is required");
  const auto& r = in["company"];
  if (!r.is_object() || !r.contains("id") || !r["id"].is_number_integer())
    return invalid_field("company", "company must be an object with an integer id");
  const nlohmann::json* c = find_by_id(st.data().companies, r["id"].get<long long>());
  if (!c) return invalid_field("company", "company " + r["id"].dump() + " was not found");
  if (c->value("deletedFlag", false))
    return invalid_field("company", "company " + r["id"].dump() + " is deleted");
  out["company"] = company_reference(st.base_url(), *c);
  return std::nullopt;
}

// An optional reference {id[, name]} (status, priority, type): kept with its name.
std::optional<FieldError> simple_reference(State& st, const nlohmann::json& in, nlohmann::json& out,
                                           const std::string& key, const std::string& path) {
  if (!in.contains(key) || in[key].is_null()) return std::nullopt;
  const auto& r = in[key];
  if (!r.is_object() || !r.contains("id") || !r["id"].is_number_integer())
    return invalid_field(key, key + " must be an object with an integer id");
  out[key] = reference(st.base_url(), key, path + r["id"].dump(),
                       {{"id", r["id"]}, {"name", r.value("name", "")}});
  return std::nullopt;
}

// Validates `in` as a whole ticket; `out` gets the stored fields (id and _info: the caller's).
std::optional<FieldError> build_ticket(State& st, const nlohmann::json& in, nlohmann::json& out) {
  if (!in.is_object()) return invalid_field("ticket", "body must be a JSON object");
  out = nlohmann::json::object();
  if (!in.contains("summary") || !in["summary"].is_string() ||
      in["summary"].get<std::string>().empty())
    return required("summary", "summary is required");
  if (auto e = check_length(in, "summary", kSummaryMax)) return e;
  out["summary"] = in["summary"];
  out["recordType"] = "ServiceTicket";
  if (auto e = board_of(st, in, out)) return e;
  if (auto e = company_of(st, in, out)) return e;
  if (!in.contains("status") || in["status"].is_null())
    out["status"] = reference(st.base_url(), "status",
                              "/service/boards/" + out["board"]["id"].dump() + "/statuses/1",
                              {{"id", 1}, {"name", "New"}});  // our default
  else if (auto e = simple_reference(st, in, out, "status",
                                     "/service/boards/" + out["board"]["id"].dump() + "/statuses/"))
    return e;
  if (auto e = simple_reference(st, in, out, "priority", "/service/priorities/")) return e;
  if (auto e = simple_reference(st, in, out, "type",
                                "/service/boards/" + out["board"]["id"].dump() + "/types/"))
    return e;
  out["closedFlag"] = false;
  return std::nullopt;
}

const PatchFields& ticket_patch_fields() {
  static const PatchFields f{"ticket",
                             {"summary", "board", "company", "status", "priority", "type"},
                             {"id", "_info", "recordType", "closedFlag", "initialDescription"}};
  return f;
}

void create_ticket(State& st, const httplib::Request& req, httplib::Response& res) {
  nlohmann::json in, out;
  if (!json_body(req, res, in)) return;
  if (auto e = build_ticket(st, in, out)) return send_invalid(res, *e, "ticket");
  if (in.contains("initialDescription") && !in["initialDescription"].is_null() &&
      !in["initialDescription"].is_string())
    return send_invalid(res, invalid_field("initialDescription", "must be a string"), "ticket");
  Data& d = st.data();
  out["id"] = d.next_ticket_id++;
  stamp(out);
  out["_info"]["dateEntered"] = out["_info"]["lastUpdated"];
  out["_info"]["enteredBy"] = "api";
  if (in.contains("initialDescription") && in["initialDescription"].is_string())
    d.ticket_notes.push_back({{"id", d.next_note_id++},
                              {"ticketId", out["id"]},
                              {"text", in["initialDescription"]},
                              {"detailDescriptionFlag", true}});
  d.tickets.push_back(out);
  send_json(res, 201, out);
}

void patch_ticket(State& st, const httplib::Request& req, httplib::Response& res,
                  const std::string& id_text) {
  long long id = 0;
  Data& d = st.data();
  auto it = d.tickets.end();
  if (parse_int(id_text, id))
    it = std::find_if(d.tickets.begin(), d.tickets.end(),
                      [&](const nlohmann::json& t) { return t["id"].get<long long>() == id; });
  if (it == d.tickets.end())
    return send_error(res, 404, "NotFound", "Ticket with id " + id_text + " was not found");
  nlohmann::json in, out;
  if (!json_body(req, res, in)) return;
  nlohmann::json patched = *it;
  if (auto e = apply_patch(in, patched, ticket_patch_fields()))
    return send_invalid(res, *e, "ticket");
  if (auto e = build_ticket(st, patched, out)) return send_invalid(res, *e, "ticket");
  out["id"] = id;
  out["closedFlag"] = (*it)["closedFlag"];
  const nlohmann::json entered = (*it)["_info"];
  stamp(out);
  out["_info"]["dateEntered"] = entered.value("dateEntered", "");
  out["_info"]["enteredBy"] = entered.value("enteredBy", "");
  *it = out;
  send_json(res, 200, out);
}

}  // namespace

void boards(State& st, const httplib::Request& req, httplib::Response& res,
            const std::vector<std::string>& rest) {
  if (!read_collection(req, res, st, st.data().boards, rest, "Board")) no_route(req, res);
}

void tickets(State& st, const httplib::Request& req, httplib::Response& res,
             const std::vector<std::string>& rest) {
  if (read_collection(req, res, st, st.data().tickets, rest, "Ticket")) return;
  if (rest.empty() && req.method == "POST") return create_ticket(st, req, res);
  if (rest.size() == 1 && req.method == "PATCH") return patch_ticket(st, req, res, rest[0]);
  no_route(req, res);
}

}  // namespace cw_emu
