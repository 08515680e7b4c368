// Matching vendor customer names to PSA company names: a normalised form for exact auto-mapping
// and a similarity score for fuzzy *suggestions* (never auto-links). Pure: no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace meterbridge::host::mapping {

// The normalised company name used for exact auto-mapping:
//  - ASCII is lower-cased; Latin-1 and Latin Extended-A letters in UTF-8 fold to ASCII (é -> e,
//    ü -> u, ø -> o, ñ -> n, ç -> c, ß -> ss, æ -> ae, œ -> oe, ł -> l, ...), upper-case forms too,
//    and combining accents (decomposed text) are dropped; other scripts are kept as they are;
//  - apostrophes (' ’ ‘ ` ´) are removed without a space: "O'Brien" -> "obrien";
//  - '&' becomes the word "and";
//  - every other run of punctuation or whitespace becomes one space; the result is trimmed;
//  - a leading "the" (or a trailing ", The") is dropped;
//  - legal-form suffixes are stripped at the end, repeatedly, including multi-token forms that
//    dotted spellings turn into ("S.r.l." -> "s r l", "GmbH & Co. KG" -> "gmbh and co kg"), and a
//    dangling "and" left by a strip ("Smith & Co." -> "smith");
//  - the name is never stripped to nothing: "AG" stays "ag".
// Examples: "Acme Dental Group, Inc." -> "acme dental group"; "Città di Lugo S.r.l." ->
// "citta di lugo"; "Müller & Söhne GmbH & Co. KG" -> "muller and sohne".
std::string normalize_company_name(std::string_view name);

// Similarity 0..1 of two names after normalisation; 1.0 only when the normalised names are equal
// (and not empty: a name that normalises to nothing scores 0 against everything). Combines a
// token-set measure (Jaro-Winkler best match per token, with abbreviation credit such as
// "grp" ~ "group", weighted by token length, both directions) with character trigram Dice on the
// names with spaces removed (so "Brightwater" ~ "Bright Water").
double name_similarity(std::string_view a, std::string_view b);

struct Candidate {
  std::string id;
  std::string name;
};

struct Suggestion {
  std::string id;
  std::string name;
  double score = 0;  // rounded to 3 decimals
};

// Precomputes normalised forms, tokens and trigrams of a candidate list once, so that many names
// can be matched against it quickly (a trigram index skips candidates that cannot reach the
// minimum score). Immutable after construction; suggest() is safe to call from several threads.
class CandidateIndex {
 public:
  explicit CandidateIndex(std::vector<Candidate> candidates);

  // The best candidates for one name with a (rounded) score >= min_score, best first, ties by
  // name then id, at most limit. An exact normalised match scores 1.0. A name, or a candidate,
  // that normalises to nothing is never matched.
  std::vector<Suggestion> suggest(std::string_view name, double min_score = 0.6,
                                  size_t limit = 3) const;

  size_t size() const { return entries_.size(); }

  // The prepared form of one name (exposed for name_similarity; not part of the stable API).
  struct Prepared {
    std::string normalized;
    std::string compact;  // normalized without spaces
    std::vector<std::string> tokens;
    std::vector<uint32_t> trigrams;  // sorted, unique
    double token_weight = 0;         // sum of token lengths
  };
  static Prepared prepare(std::string_view name);
  static double score(const Prepared& a, const Prepared& b);

 private:
  struct Entry {
    Candidate candidate;
    Prepared prepared;
    std::vector<uint32_t> token_ids;  // into token_ids_
  };
  std::vector<Entry> entries_;
  std::unordered_map<uint32_t, std::vector<uint32_t>> by_trigram_;
  std::unordered_map<std::string, uint32_t> token_ids_;  // distinct candidate tokens
};

// The best candidates for one name, score >= min_score, best first (ties by name), at most
// limit. Exact normalised equality scores 1.0. Builds a CandidateIndex: to match many names
// against one list, build the index once instead.
std::vector<Suggestion> suggest_matches(std::string_view name,
                                        const std::vector<Candidate>& candidates,
                                        double min_score = 0.6, size_t limit = 3);

}  // namespace meterbridge::host::mapping
