/*
 * FAQ search, served in front of faq-embed.js (bot/web/app.py ASSET_FILES).
 * Each entry's index is its search_terms from /faq.json: every word of the
 * entry and of the ways customers ask it (the assistant's training examples,
 * bot/content/faq.py). A query word finds an entry when one of those words
 * starts with it (typing "rent" finds "rental"), has the same stem
 * ("totalled", "totaling", "totaled") or is one typo away from it
 * ("cancelation"); an entry is shown when every word of the query finds it,
 * ignoring small words like "how" and "my".
 */
var AllyFaqSearch = window.AllyFaqSearch || (function () {
  "use strict";

  var STOP_WORDS = [
    "a", "an", "and", "are", "can", "do", "does", "for", "how", "i", "im", "in", "is", "it", "me", "my",
    "of", "on", "or", "the", "to", "what", "when", "where", "who", "why", "will", "with", "you", "your",
  ];
  // Longest first; a stem keeps at least 3 letters.
  var SUFFIXES = ["ations", "ation", "ments", "ment", "ings", "ing", "edly", "ed", "ies", "es", "ly", "s", "age"];

  // Lower case, apostrophes dropped ("don't" is "dont"), split at anything else: as faq.py does.
  function words(text) {
    return text.toLowerCase().replace(/['\u2019]/g, "").split(/[^a-z0-9]+/).filter(Boolean);
  }

  function stem(word) {
    for (var i = 0; i < SUFFIXES.length; i += 1) {
      var suffix = SUFFIXES[i];
      if (word.length - suffix.length >= 3 && word.slice(-suffix.length) === suffix) {
        var base = word.slice(0, -suffix.length);
        if (suffix === "ies") base += "y";
        // "totall(ed)" -> "total", "stopp(ed)" -> "stop"
        if (base.length > 3 && base[base.length - 1] === base[base.length - 2]) base = base.slice(0, -1);
        return dropFinalE(base);
      }
    }
    return dropFinalE(word);
  }

  // "tire", "tires" and "tired" all stem to "tir".
  function dropFinalE(base) {
    return base.length > 3 && base[base.length - 1] === "e" ? base.slice(0, -1) : base;
  }

  // Levenshtein distance, stopping early past ``limit``.
  function withinEdits(a, b, limit) {
    if (Math.abs(a.length - b.length) > limit) return false;
    var previous = [];
    for (var j = 0; j <= b.length; j += 1) previous.push(j);
    for (var i = 1; i <= a.length; i += 1) {
      var current = [i];
      var best = i;
      for (j = 1; j <= b.length; j += 1) {
        var cost = a[i - 1] === b[j - 1] ? 0 : 1;
        current.push(Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost));
        best = Math.min(best, current[j]);
      }
      if (best > limit) return false;
      previous = current;
    }
    return previous[b.length] <= limit;
  }

  function typosAllowed(word) {
    return word.length >= 8 ? 2 : word.length >= 5 ? 1 : 0;
  }

  // What an entry is searched by: its words and their stems.
  function index(terms) {
    return {
      terms: terms,
      stems: terms.map(stem).filter(function (s, i, all) { return all.indexOf(s) === i; }),
    };
  }

  function wordFinds(word, entryIndex) {
    var wanted = stem(word);
    var typos = typosAllowed(wanted);
    return entryIndex.terms.some(function (term) { return term.indexOf(word) === 0; })
      || entryIndex.stems.some(function (s) { return s === wanted || (typos && withinEdits(wanted, s, typos)); });
  }

  // The query's words that count; none: every entry matches.
  function queryWords(query) {
    return words(query).filter(function (w) { return STOP_WORDS.indexOf(w) === -1; });
  }

  function matches(queryWordList, entryIndex) {
    return queryWordList.every(function (word) { return wordFinds(word, entryIndex); });
  }

  return { index: index, queryWords: queryWords, matches: matches };
})();
