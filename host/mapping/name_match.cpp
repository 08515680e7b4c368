#include "mapping/name_match.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

namespace meterbridge::host::mapping {
namespace {

// ASCII folds of U+00C0..U+017F (Latin-1 Supplement letters and Latin Extended-A). An empty
// entry (× and ÷) is punctuation.
// clang-format off
constexpr std::array<const char*, 0x180 - 0xC0> kLatinFold = {
    // U+00C0 À Á Â Ã Ä Å Æ Ç È É Ê Ë Ì Í Î Ï
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    // U+00D0 Ð Ñ Ò Ó Ô Õ Ö × Ø Ù Ú Û Ü Ý Þ ß
    "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "ss",
    // U+00E0 à á â ã ä å æ ç è é ê ë ì í î ï
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    // U+00F0 ð ñ ò ó ô õ ö ÷ ø ù ú û ü ý þ ÿ
    "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "y",
    // U+0100 Ā ā Ă ă Ą ą Ć ć Ĉ ĉ Ċ ċ Č č Ď ď
    "a", "a", "a", "a", "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d",
    // U+0110 Đ đ Ē ē Ĕ ĕ Ė ė Ę ę Ě ě Ĝ ĝ Ğ ğ
    "d", "d", "e", "e", "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g",
    // U+0120 Ġ ġ Ģ ģ Ĥ ĥ Ħ ħ Ĩ ĩ Ī ī Ĭ ĭ Į į
    "g", "g", "g", "g", "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i", "i",
    // U+0130 İ ı Ĳ ĳ Ĵ ĵ Ķ ķ ĸ Ĺ ĺ Ļ ļ Ľ ľ Ŀ
    "i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l",
    // U+0140 ŀ Ł ł Ń ń Ņ ņ Ň ň ŉ Ŋ ŋ Ō ō Ŏ ŏ
    "l", "l", "l", "n", "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o",
    // U+0150 Ő ő Œ œ Ŕ ŕ Ŗ ŗ Ř ř Ś ś Ŝ ŝ Ş ş
    "o", "o", "oe", "oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s",
    // U+0160 Š š Ţ ţ Ť ť Ŧ ŧ Ũ ũ Ū ū Ŭ ŭ Ů ů
    "s", "s", "t", "t", "t", "t", "t", "t", "u", "u", "u", "u", "u", "u", "u", "u",
    // U+0170 Ű ű Ų ų Ŵ ŵ Ŷ ŷ Ÿ Ź ź Ż ż Ž ž ſ
    "u", "u", "u", "u", "w", "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", "s",
};
// clang-format on

// Decodes one UTF-8 code point at text[i]; returns its length, 0 for an invalid sequence.
size_t decode_utf8(std::string_view text, size_t i, char32_t& cp) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char b0 = byte(i);
  size_t len = 0;
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  } else if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    cp = b0 & 0x07;
  } else {
    return 0;
  }
  if (i + len > text.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

bool is_apostrophe(char32_t cp) {
  return cp == '\'' || cp == '`' || cp == 0xB4 || cp == 0x2BC || cp == 0x2018 || cp == 0x2019 ||
         cp == 0x201B || cp == 0x2032;
}

// Lower-cases and folds to ASCII where it can; punctuation and whitespace become ' '.
std::string fold(std::string_view in) {
  std::string out;
  out.reserve(in.size() + 8);
  for (size_t i = 0; i < in.size();) {
    char32_t cp = 0;
    size_t len = decode_utf8(in, i, cp);
    if (len == 0) {  // invalid byte: a separator
      out += ' ';
      ++i;
      continue;
    }
    std::string_view raw = in.substr(i, len);
    i += len;
    if (cp < 0x80) {
      char c = static_cast<char>(cp);
      if (c >= 'A' && c <= 'Z') {
        out += static_cast<char>(c - 'A' + 'a');
      } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
        out += c;
      } else if (c == '&') {
        out += " and ";
      } else if (!is_apostrophe(cp)) {
        out += ' ';
      }
    } else if (is_apostrophe(cp) || (cp >= 0x300 && cp <= 0x36F) || cp == 0xFEFF || cp == 0x200B ||
               cp == 0x200C || cp == 0x200D || cp == 0xAD) {
      // apostrophes, combining accents, zero-width characters and soft hyphens vanish
    } else if (cp >= 0xC0 && cp < 0x180) {
      const char* f = kLatinFold[cp - 0xC0];
      out += *f ? f : " ";
    } else if (cp == 0xFF06) {  // fullwidth ampersand
      out += " and ";
    } else if ((cp >= 0x80 && cp < 0xC0) || (cp >= 0x2000 && cp <= 0x206F) || cp == 0x3000 ||
               (cp >= 0x3001 && cp <= 0x3003) || (cp >= 0xFF01 && cp <= 0xFF0F)) {
      out += ' ';  // Latin-1 punctuation, general punctuation, ideographic space and punctuation
    } else {
      out += raw;  // another script: kept as written
    }
  }
  return out;
}

std::vector<std::string> split(std::string_view s) {
  std::vector<std::string> tokens;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ') ++j;
    if (j > i) tokens.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return tokens;
}

// Legal-form suffixes as token sequences (after folding), longest first.
const std::vector<std::vector<std::string>>& legal_suffixes() {
  static const std::vector<std::vector<std::string>> suffixes = [] {
    std::vector<std::vector<std::string>> list;
    const char* forms[] = {
        // English-speaking
        "inc", "incorporated", "llc", "l l c", "ltd", "limited", "co", "corp", "corporation",
        "company", "plc", "p l c", "lp", "l p", "llp", "l l p", "pc", "p c", "pllc", "p l l c",
        "pty", "pty ltd", "pvt", "pvt ltd",
        // German-speaking
        "gmbh", "mbh", "ag", "a g", "kg", "kgaa", "gmbh and co kg", "gmbh and co kgaa",
        "gmbh co kg", "ag and co kg", "ag and co kgaa", "and co kg", "co kg", "ug",
        "ug haftungsbeschrankt", "e k", "ek", "ohg", "gbr", "se",
        // Romance languages
        "srl", "s r l", "spa", "s p a", "sa", "s a", "sas", "s a s", "sarl", "s a r l", "sl", "s l",
        "ltda", "lda", "sa de cv", "s a de c v",
        // Benelux, Nordic, Central and Eastern Europe
        "bv", "b v", "nv", "n v", "bvba", "oy", "oyj", "ab", "as", "a s", "aps", "kft", "sp z o o",
        "sp zoo", "s r o", "sro", "d o o", "doo"};
    for (const char* form : forms) list.push_back(split(form));
    std::stable_sort(list.begin(), list.end(),
                     [](const auto& a, const auto& b) { return a.size() > b.size(); });
    return list;
  }();
  return suffixes;
}

bool ends_with(const std::vector<std::string>& tokens, const std::vector<std::string>& tail) {
  if (tail.size() > tokens.size()) return false;
  return std::equal(tail.begin(), tail.end(), tokens.end() - static_cast<ptrdiff_t>(tail.size()));
}

std::string join(const std::vector<std::string>& tokens, const char* sep) {
  std::string out;
  for (const std::string& t : tokens) {
    if (!out.empty()) out += sep;
    out += t;
  }
  return out;
}

// Jaro-Winkler similarity of two byte strings (prefix scale 0.1, prefix up to 4).
double jaro_winkler(std::string_view a, std::string_view b) {
  if (a == b) return 1.0;
  if (a.empty() || b.empty()) return 0.0;
  if (a.size() > b.size()) std::swap(a, b);
  const size_t window = std::max<size_t>(b.size() / 2, 1) - 1;
  std::array<bool, 64> a_small{}, b_small{};
  std::vector<bool> a_big, b_big;
  const bool small = b.size() <= 64;
  if (!small) {
    a_big.assign(a.size(), false);
    b_big.assign(b.size(), false);
  }
  auto a_hit = [&](size_t k) -> bool { return small ? a_small[k] : a_big[k]; };
  auto b_hit = [&](size_t k) -> bool { return small ? b_small[k] : b_big[k]; };
  auto set_a = [&](size_t k) { small ? (void)(a_small[k] = true) : (void)(a_big[k] = true); };
  auto set_b = [&](size_t k) { small ? (void)(b_small[k] = true) : (void)(b_big[k] = true); };

  size_t matches = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    size_t lo = i > window ? i - window : 0;
    size_t hi = std::min(i + window + 1, b.size());
    for (size_t j = lo; j < hi; ++j) {
      if (!b_hit(j) && a[i] == b[j]) {
        set_a(i);
        set_b(j);
        ++matches;
        break;
      }
    }
  }
  if (matches == 0) return 0.0;
  size_t transpositions = 0;
  for (size_t i = 0, j = 0; i < a.size(); ++i) {
    if (!a_hit(i)) continue;
    while (!b_hit(j)) ++j;
    if (a[i] != b[j]) ++transpositions;
    ++j;
  }
  const double m = static_cast<double>(matches);
  const double jaro = (m / static_cast<double>(a.size()) + m / static_cast<double>(b.size()) +
                       (m - static_cast<double>(transpositions) / 2.0) / m) /
                      3.0;
  size_t prefix = 0;
  while (prefix < 4 && prefix < a.size() && a[prefix] == b[prefix]) ++prefix;
  return jaro + static_cast<double>(prefix) * 0.1 * (1.0 - jaro);
}

bool is_subsequence(std::string_view shorter, std::string_view longer) {
  size_t j = 0;
  for (char c : longer) {
    if (j < shorter.size() && shorter[j] == c) ++j;
  }
  return j == shorter.size();
}

// Similarity of two tokens: Jaro-Winkler, with credit for abbreviations ("tech" ~ "technology",
// "grp" ~ "group", "mgmt" ~ "management"), and weak matches damped so unrelated words add little.
double token_similarity(std::string_view a, std::string_view b) {
  if (a == b) return 1.0;
  double jw = jaro_winkler(a, b);
  std::string_view shorter = a.size() <= b.size() ? a : b;
  std::string_view longer = a.size() <= b.size() ? b : a;
  if (shorter.size() >= 3 && shorter[0] == longer[0]) {
    if (longer.substr(0, shorter.size()) == shorter) return std::max(jw, 0.9);
    if (is_subsequence(shorter, longer)) jw = std::max(jw, 0.85);
  }
  return jw < 0.7 ? jw * 0.5 : jw;
}

// The token-set measure: for each token of one name the best match among the other's tokens,
// weighted by token length, averaged over both directions. sim(i, j) is the similarity of a's
// token i and b's token j; token_similarity is symmetric, so each pair is computed once.
template <typename Sim>
double token_set_score(const CandidateIndex::Prepared& a, const CandidateIndex::Prepared& b,
                       Sim&& sim) {
  const size_t n = a.tokens.size(), m = b.tokens.size();
  if (n == 0 || m == 0) return 0.0;
  constexpr size_t kSmall = 16;
  std::array<double, kSmall> row_small{}, col_small{};
  std::vector<double> row_big, col_big;
  double* row_best = row_small.data();  // best per token of a
  double* col_best = col_small.data();  // best per token of b
  if (n > kSmall || m > kSmall) {
    row_big.assign(n, 0.0);
    col_big.assign(m, 0.0);
    row_best = row_big.data();
    col_best = col_big.data();
  }
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < m; ++j) {
      const double s = sim(i, j);
      row_best[i] = std::max(row_best[i], s);
      col_best[j] = std::max(col_best[j], s);
    }
  }
  double ab = 0, ba = 0;
  for (size_t i = 0; i < n; ++i) ab += static_cast<double>(a.tokens[i].size()) * row_best[i];
  for (size_t j = 0; j < m; ++j) ba += static_cast<double>(b.tokens[j].size()) * col_best[j];
  return (ab / a.token_weight + ba / b.token_weight) / 2.0;
}

size_t common_count(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
  size_t n = 0;
  for (size_t i = 0, j = 0; i < a.size() && j < b.size();) {
    if (a[i] < b[j]) {
      ++i;
    } else if (b[j] < a[i]) {
      ++j;
    } else {
      ++n, ++i, ++j;
    }
  }
  return n;
}

double dice(size_t common, size_t a, size_t b) {
  if (a + b == 0) return 0;
  return 2.0 * static_cast<double>(common) / static_cast<double>(a + b);
}

constexpr double kTokenWeight = 0.55;
constexpr double kTrigramWeight = 0.45;
constexpr double kBestInexact = 0.999;  // 1.0 is reserved for equal normalised names

double round3(double x) {
  return std::round(x * 1000.0) / 1000.0;
}

template <typename Sim>
double score_with(const CandidateIndex::Prepared& a, const CandidateIndex::Prepared& b, Sim&& sim) {
  if (a.normalized.empty() || b.normalized.empty()) return 0.0;
  if (a.normalized == b.normalized) return 1.0;
  const double tokens = token_set_score(a, b, sim);
  const double trigrams =
      dice(common_count(a.trigrams, b.trigrams), a.trigrams.size(), b.trigrams.size());
  double s = kTokenWeight * tokens + kTrigramWeight * trigrams;
  if (a.compact == b.compact) s = std::max(s, 0.98);  // "bright water" ~ "brightwater"
  return std::clamp(s, 0.0, kBestInexact);
}

}  // namespace

std::string normalize_company_name(std::string_view name) {
  std::vector<std::string> tokens = split(fold(name));
  if (tokens.size() > 1 && tokens.front() == "the") tokens.erase(tokens.begin());
  if (tokens.size() > 1 && tokens.back() == "the") tokens.pop_back();  // "Smith Law Firm, The"

  for (bool stripped = true; stripped;) {
    stripped = false;
    for (const auto& suffix : legal_suffixes()) {
      // Strictly longer, so that a name is never stripped to nothing.
      if (tokens.size() > suffix.size() && ends_with(tokens, suffix)) {
        tokens.resize(tokens.size() - suffix.size());
        stripped = true;
        break;
      }
    }
    if (stripped && tokens.size() > 1 && tokens.back() == "and") tokens.pop_back();
  }
  return join(tokens, " ");
}

CandidateIndex::Prepared CandidateIndex::prepare(std::string_view name) {
  Prepared p;
  p.normalized = normalize_company_name(name);
  p.tokens = split(p.normalized);
  p.compact = join(p.tokens, "");
  for (const std::string& t : p.tokens) p.token_weight += static_cast<double>(t.size());
  if (!p.compact.empty()) {
    std::string padded = " " + p.compact + " ";
    p.trigrams.reserve(padded.size());
    for (size_t i = 0; i + 3 <= padded.size(); ++i) {
      p.trigrams.push_back(static_cast<uint32_t>(static_cast<unsigned char>(padded[i])) << 16 |
                           static_cast<uint32_t>(static_cast<unsigned char>(padded[i + 1])) << 8 |
                           static_cast<uint32_t>(static_cast<unsigned char>(padded[i + 2])));
    }
    std::sort(p.trigrams.begin(), p.trigrams.end());
    p.trigrams.erase(std::unique(p.trigrams.begin(), p.trigrams.end()), p.trigrams.end());
  }
  return p;
}

double CandidateIndex::score(const Prepared& a, const Prepared& b) {
  return score_with(a, b,
                    [&](size_t i, size_t j) { return token_similarity(a.tokens[i], b.tokens[j]); });
}

double name_similarity(std::string_view a, std::string_view b) {
  return CandidateIndex::score(CandidateIndex::prepare(a), CandidateIndex::prepare(b));
}

CandidateIndex::CandidateIndex(std::vector<Candidate> candidates) {
  entries_.reserve(candidates.size());
  for (Candidate& c : candidates) {
    Prepared p = prepare(c.name);
    std::vector<uint32_t> ids;
    ids.reserve(p.tokens.size());
    for (const std::string& t : p.tokens) {
      ids.push_back(token_ids_.emplace(t, static_cast<uint32_t>(token_ids_.size())).first->second);
    }
    entries_.push_back({std::move(c), std::move(p), std::move(ids)});
  }
  for (uint32_t i = 0; i < entries_.size(); ++i) {
    const Prepared& p = entries_[i].prepared;
    if (p.normalized.empty()) continue;
    for (uint32_t g : p.trigrams) by_trigram_[g].push_back(i);
  }
}

std::vector<Suggestion> CandidateIndex::suggest(std::string_view name, double min_score,
                                                size_t limit) const {
  std::vector<Suggestion> out;
  if (limit == 0 || entries_.empty()) return out;
  const Prepared query = prepare(name);
  if (query.normalized.empty()) return out;

  // Token similarities between the query's tokens and the index's distinct tokens, computed once
  // per query (many candidates share words such as "dental" or "services").
  const size_t vocabulary = token_ids_.size();
  std::vector<double> memo(query.tokens.size() * vocabulary, -1.0);

  auto consider = [&](uint32_t i) {
    const Entry& e = entries_[i];
    if (e.prepared.normalized.empty()) return;  // nothing to compare
    double s = round3(score_with(query, e.prepared, [&](size_t qi, size_t ci) {
      double& cached = memo[qi * vocabulary + e.token_ids[ci]];
      if (cached < 0) {
        cached = token_similarity(query.tokens[qi], e.prepared.tokens[ci]);
      }
      return cached;
    }));
    if (s >= min_score) out.push_back({e.candidate.id, e.candidate.name, s});
  };

  // A candidate sharing no trigram scores at most kTokenWeight; one with trigram Dice d at most
  // kTokenWeight + kTrigramWeight * d. Rounding to 3 decimals can lift a score by 0.0005.
  constexpr double slack = 0.001;
  if (kTokenWeight + slack >= min_score) {
    for (uint32_t i = 0; i < entries_.size(); ++i) consider(i);
  } else {
    std::vector<uint32_t> shared(entries_.size(), 0);
    std::vector<uint32_t> touched;
    for (uint32_t g : query.trigrams) {
      auto it = by_trigram_.find(g);
      if (it == by_trigram_.end()) continue;
      for (uint32_t i : it->second) {
        if (shared[i]++ == 0) touched.push_back(i);
      }
    }
    const double needed_dice = (min_score - slack - kTokenWeight) / kTrigramWeight;
    for (uint32_t i : touched) {
      double d = dice(shared[i], query.trigrams.size(), entries_[i].prepared.trigrams.size());
      if (d >= needed_dice) consider(i);
    }
  }

  std::sort(out.begin(), out.end(), [](const Suggestion& a, const Suggestion& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.name != b.name) return a.name < b.name;
    return a.id < b.id;
  });
  if (out.size() > limit) out.resize(limit);
  return out;
}

std::vector<Suggestion> suggest_matches(std::string_view name,
                                        const std::vector<Candidate>& candidates, double min_score,
                                        size_t limit) {
  return CandidateIndex(candidates).suggest(name, min_score, limit);
}

}  // namespace meterbridge::host::mapping
