/*
 * _fastfeat: exact C versions of nlp_contact.features.normalise and of the word + char
 * n-gram TF-IDF blocks of TextFeaturizer.transform.
 *
 * The Python code in nlp_contact/features.py is the specification; this file reproduces
 * it bit for bit (tests/unit/test_fastfeat.py compares the two).
 *
 * Normalisation.  Every regex of ``normalise`` is a hand-written matcher below, applied
 * as a separate pass in the same order as the Python ``re.sub`` calls, so that each pass
 * sees the previous pass's output exactly as Python does.  Each matcher follows the
 * backtracking order of its regex; the comments above each one say why its choices are
 * deterministic.  Texts are arrays of code points (Py_UCS4) ending in a sentinel END
 * (0x110000, outside Unicode) so scans stop without explicit bounds checks.
 *
 * A text is normalised in C only when every non-ASCII character in it is "inert": not
 * alphanumeric and without case (not upper, lower or title case).  For such characters
 * Python's \w, \d, \b, IGNORECASE and str.lower() behave exactly as for ASCII
 * punctuation, so ASCII rules suffice (the curly quotes and the pound sign are inert;
 * the quotes are translated by the lower-casing pass).  Any other text is declined
 * (``normalise`` returns None) and the caller uses the Python function for it.
 *
 * Features.  A Featurizer holds two vocabulary hash tables (word n-grams and char
 * n-grams), each mapping the code points of an n-gram to its column.  Keys are hashed
 * with a polynomial hash over code points, h = h * B + (c + 1) (mod 2^64), which can be
 * extended one character at a time (char n-grams of growing length from one start)
 * and concatenated in O(1) (word n-grams: hash(a b) = (hash(a)*B + ' '+1)*B^len(b) +
 * hash(b)).  A per-word cache maps each distinct space-separated word to the char
 * n-gram columns found in " word " (repeated once per occurrence), as the Python
 * ``_char_block`` cache does.  Per document, counts are summed in a dense scratch
 * array, the touched columns radix-sorted, and the TF-IDF values computed with the
 * same floating-point operations, in the same order, as scikit-learn and
 * ``_char_block`` (float32 for the word block, float64 then float32 for the char block).
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define END ((Py_UCS4)0x110000) /* sentinel after the last code point of a text */
#define HASH_B 0x100000001b3ULL /* multiplier of the polynomial n-gram hash */

/* ===================================================================== buffers */

/* A growable array of code points; p[n] is always END once a text is complete. */
typedef struct {
    Py_UCS4 *p;
    Py_ssize_t n, cap;
} UBuf;

static int ubuf_reserve(UBuf *b, Py_ssize_t need) {
    if (need <= b->cap)
        return 0;
    Py_ssize_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    Py_UCS4 *p = PyMem_Realloc(b->p, (size_t)cap * sizeof(Py_UCS4));
    if (p == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

/* Unchecked appends: callers reserve room first (see MAX_GROWTH). */
static inline void put(UBuf *b, Py_UCS4 c) { b->p[b->n++] = c; }

static inline void put_ascii(UBuf *b, const char *s) {
    while (*s)
        b->p[b->n++] = (Py_UCS4)(unsigned char)*s++;
}

static inline void put_span(UBuf *b, const Py_UCS4 *s, Py_ssize_t len) {
    memcpy(b->p + b->n, s, (size_t)len * sizeof(Py_UCS4));
    b->n += len;
}

/* A growable array of plain values (element size fixed per use). */
typedef struct {
    char *p;
    Py_ssize_t n, cap; /* in elements */
} VBuf;

static int vbuf_reserve(VBuf *b, Py_ssize_t need, size_t elem) {
    if (need <= b->cap)
        return 0;
    Py_ssize_t cap = b->cap ? b->cap : 1024;
    while (cap < need)
        cap *= 2;
    char *p = PyMem_Realloc(b->p, (size_t)cap * elem);
    if (p == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

/* Copies a str into b as code points followed by END. */
static int read_str(PyObject *s, UBuf *b) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    if (ubuf_reserve(b, n + 1) < 0)
        return -1;
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    if (kind == PyUnicode_1BYTE_KIND) {
        const Py_UCS1 *d = data;
        for (Py_ssize_t i = 0; i < n; i++)
            b->p[i] = d[i];
    } else if (kind == PyUnicode_2BYTE_KIND) {
        const Py_UCS2 *d = data;
        for (Py_ssize_t i = 0; i < n; i++)
            b->p[i] = d[i];
    } else {
        memcpy(b->p, data, (size_t)n * sizeof(Py_UCS4));
    }
    b->n = n;
    b->p[n] = END;
    return 0;
}

/* ========================================================= character classes */

static inline int is_digit(Py_UCS4 c) { return c >= '0' && c <= '9'; }
static inline int is_upper(Py_UCS4 c) { return c >= 'A' && c <= 'Z'; }
static inline int is_lower(Py_UCS4 c) { return c >= 'a' && c <= 'z'; }
static inline int is_alpha(Py_UCS4 c) { return is_upper(c) || is_lower(c); }
static inline Py_UCS4 lower_ascii(Py_UCS4 c) { return is_upper(c) ? c + 32 : c; }

/* ASCII_WORD[c], ASCII_SPACE[c]: \w and \s for ASCII c (filled at module init). */
static unsigned char ASCII_WORD[128], ASCII_SPACE[128];

/* Python's \w: alphanumeric or underscore (Unicode-aware; END is not a word char). */
static inline int is_word(Py_UCS4 c) {
    if (c < 128)
        return ASCII_WORD[c];
    return c < END && Py_UNICODE_ISALNUM(c);
}

/* Python's \s and str.split() whitespace. */
static inline int is_space(Py_UCS4 c) {
    if (c < 128)
        return ASCII_SPACE[c];
    return c < END && Py_UNICODE_ISSPACE(c);
}

static void init_ascii_classes(void) {
    for (Py_UCS4 c = 0; c < 128; c++) {
        ASCII_WORD[c] = is_alpha(c) || is_digit(c) || c == '_';
        ASCII_SPACE[c] = Py_UNICODE_ISSPACE(c) ? 1 : 0;
    }
}

/* [a-z'-] of the name patterns (case-sensitive). */
static inline int is_name_tail(Py_UCS4 c) { return is_lower(c) || c == '\'' || c == '-'; }

/* Python's \b at position i of s[0..n). */
static inline int boundary(const Py_UCS4 *s, Py_ssize_t n, Py_ssize_t i) {
    int before = i > 0 && is_word(s[i - 1]);
    int after = i < n && is_word(s[i]);
    return before != after;
}

/* A non-ASCII character Python's regexes and str.lower() treat like ASCII punctuation. */
static inline int is_inert(Py_UCS4 c) {
    return !Py_UNICODE_ISALNUM(c) && !Py_UNICODE_ISUPPER(c) && !Py_UNICODE_ISLOWER(c) &&
           !Py_UNICODE_ISTITLE(c);
}

/* Whether every character is ASCII or inert; sets *bracket when there is a '['. */
static int supported(const Py_UCS4 *s, Py_ssize_t n, int *bracket) {
    for (Py_ssize_t i = 0; i < n; i++) {
        if (s[i] >= 128 && !is_inert(s[i]))
            return 0;
        *bracket |= s[i] == '[';
    }
    return 1;
}

/* Length of `lit` if s[i..] starts with it, ASCII case-insensitively (lit is lower case). */
static Py_ssize_t match_ci(const Py_UCS4 *s, Py_ssize_t i, const char *lit) {
    Py_ssize_t k = 0;
    for (; lit[k]; k++)
        if (lower_ascii(s[i + k]) != (Py_UCS4)(unsigned char)lit[k])
            return -1;
    return k;
}

/* Length of `lit` if s[i..] starts with it exactly. */
static Py_ssize_t match_exact(const Py_UCS4 *s, Py_ssize_t i, const char *lit) {
    Py_ssize_t k = 0;
    for (; lit[k]; k++)
        if (s[i + k] != (Py_UCS4)(unsigned char)lit[k])
            return -1;
    return k;
}

/* Whether the maximal run of word characters at s[i..] equals one of `words`. */
static int word_in(const Py_UCS4 *s, Py_ssize_t i, const char *const *words) {
    Py_ssize_t len = 0;
    while (is_word(s[i + len]))
        len++;
    for (; *words; words++) {
        if ((Py_ssize_t)strlen(*words) == len && match_exact(s, i, *words) == len)
            return 1;
    }
    return 0;
}

static Py_ssize_t skip_spaces(const Py_UCS4 *s, Py_ssize_t i) {
    while (is_space(s[i]))
        i++;
    return i;
}

static Py_ssize_t skip_digits(const Py_UCS4 *s, Py_ssize_t i) {
    while (is_digit(s[i]))
        i++;
    return i;
}

/* ====================================================================== passes
 *
 * A matcher tries its regex at position i of s[0..n).  On a match it returns the end
 * of the match and says what replaces it (the first r->keep characters of the match,
 * then the ASCII r->token); else it returns -1, or NO_MATCH_BEFORE(j) when no match
 * can start before j either.  run_pass is re.sub: leftmost matches, scanning on after
 * each one.  No replacement is more than MAX_GROWTH times longer than its match.
 */
#define MAX_GROWTH 8
#define NO_MATCH_BEFORE(j) (-2 - (j))

typedef struct {
    Py_ssize_t keep;
    const char *token;
} Replacement;

typedef Py_ssize_t (*Matcher)(const Py_UCS4 *s, Py_ssize_t n, Py_ssize_t i, Replacement *r);

/* Where a pass's matches can start. */
enum {
    ANYWHERE,      /* no constraint beyond `starts` */
    WORD_START,    /* a match starting at a word character needs \b there */
    WORD_OR_DIGIT, /* ... unless it starts with a digit */
};

typedef struct {
    Matcher match;
    unsigned char starts[256]; /* the Latin-1 characters a match can start with */
    int where;
} Pass;

/* Whether no match of the pass can start at i (s[i] is one of its start characters). */
static inline int cannot_start(const Pass *pass, const Py_UCS4 *s, Py_ssize_t i) {
    if (pass->where == ANYWHERE || i == 0 || !is_word(s[i]) || !is_word(s[i - 1]))
        return 0;
    return pass->where == WORD_START || !is_digit(s[i]);
}

/* The normaliser's state: the text, a scratch buffer, and where the words (runs of \w)
   of the text start, kept while passes leave the text unchanged. */
typedef struct {
    UBuf text, tmp;
    VBuf words; /* Py_ssize_t */
    int words_valid;
} Norm;

static int find_words(Norm *nm) {
    const Py_UCS4 *s = nm->text.p;
    if (vbuf_reserve(&nm->words, nm->text.n + 1, sizeof(Py_ssize_t)) < 0)
        return -1;
    Py_ssize_t *words = (Py_ssize_t *)nm->words.p, count = 0;
    int prev = 0;
    for (Py_ssize_t i = 0; i < nm->text.n; i++) {
        int word = is_word(s[i]);
        if (word && !prev)
            words[count++] = i;
        prev = word;
    }
    nm->words.n = count;
    nm->words_valid = 1;
    return 0;
}

/* Applies the pass to nm->text (re.sub).  by_word: try only the starts of words, for a
   WORD_START pass whose start characters are all word characters. */
static int run_pass(const Pass *pass, Norm *nm, int by_word) {
    if (by_word && !nm->words_valid && find_words(nm) < 0)
        return -1;
    const Py_UCS4 *s = nm->text.p;
    const Py_ssize_t *words = (const Py_ssize_t *)nm->words.p;
    Py_ssize_t n = nm->text.n, i = 0, k = 0, copied = 0;
    UBuf *dst = &nm->tmp;
    int changed = 0;
    for (;;) {
        if (by_word) {
            while (k < nm->words.n && (words[k] < i || s[words[k]] >= 256 ||
                                       !pass->starts[s[words[k]]]))
                k++;
            if (k == nm->words.n)
                break;
            i = words[k];
        } else {
            while (i < n && (s[i] >= 256 || !pass->starts[s[i]] || cannot_start(pass, s, i)))
                i++;
            if (i >= n)
                break;
        }
        Replacement r = {0, ""};
        Py_ssize_t e = pass->match(s, n, i, &r);
        if (e < 0) {
            i = e == -1 ? i + 1 : -2 - e;
            continue;
        }
        if (!changed) {
            if (ubuf_reserve(dst, MAX_GROWTH * n + 16) < 0)
                return -1;
            dst->n = 0;
            changed = 1;
        }
        put_span(dst, s + copied, i - copied);
        put_span(dst, s + i, r.keep);
        put_ascii(dst, r.token);
        i = copied = e;
    }
    if (!changed)
        return 0;
    put_span(dst, s + copied, n - copied);
    dst->p[dst->n] = END;
    UBuf t = nm->text;
    nm->text = *dst;
    *dst = t;
    nm->words_valid = 0;
    return 0;
}

static void set_starts(unsigned char *table, const char *chars) {
    memset(table, 0, 256);
    for (; *chars; chars++)
        table[(unsigned char)*chars] = 1;
}

/* --- \[([A-Z_]+?)(?:_\d+)?\] -------------------------------------------------
 * The lazy group is the shortest prefix of the [A-Z_] run R after '[' that lets the
 * rest match.  A prefix shorter than R is followed by a char of R, which is neither
 * ']' nor (unless it is R's last char '_') the '_' of "_\d+"; so the group is R minus
 * a final '_' when digits and ']' follow, or R itself when ']' follows. */
static Py_ssize_t m_placeholder(const Py_UCS4 *s, Py_ssize_t n, Py_ssize_t i, Replacement *r) {
    (void)n;
    Py_ssize_t j = i + 1;
    while (is_upper(s[j]) || s[j] == '_')
        j++;
    Py_ssize_t g_end, end;
    if (j - (i + 1) >= 2 && s[j - 1] == '_' && is_digit(s[j]) && s[skip_digits(s, j)] == ']') {
        g_end = j - 1;
        end = skip_digits(s, j) + 1;
    } else if (j > i + 1 && s[j] == ']') {
        g_end = j;
        end = j + 1;
    } else {
        return -1;
    }
    static const char *names[] = {"PERSON", "DATE", "DOB", "EMAIL", "PHONE"};
    static const char *tokens[] = {" xname ", " xdate ", " xdate ", " xemail ", " xnum "};
    const char *token = " xnum ";
    for (int k = 0; k < 5; k++) {
        if ((Py_ssize_t)strlen(names[k]) == g_end - (i + 1) &&
            match_exact(s, i + 1, names[k]) == g_end - (i + 1))
            token = tokens[k];
    }
    r->token = token;
    return end;
}

/* [A-Z][a-z'-]+ followed by \s+ (one repetition of the titled name's middle names):
   the end of the whitespace, or -1. */
static Py_ssize_t middle_name(const Py_UCS4 *s, Py_ssize_t w) {
    if (!is_upper(s[w]) || !is_name_tail(s[w + 1]))
        return -1;
    Py_ssize_t r = w + 1;
    while (is_name_tail(s[r]))
        r++;
    return is_space(s[r]) ? skip_spaces(s, r) : -1;
}

/* [A-Z][a-zA-Z'-]+ : its end, or -1. */
static Py_ssize_t last_name(const Py_UCS4 *s, Py_ssize_t w) {
    if (!is_upper(s[w]) || !(is_alpha(s[w + 1]) || s[w + 1] == '\'' || s[w + 1] == '-'))
        return -1;
    Py_ssize_t r = w + 1;
    while (is_alpha(s[r]) || s[r] == '\'' || s[r] == '-')
        r++;
    return r;
}

/* --- \b((?i:mr|mrs|...))\.?\s+(?:[A-Z][a-z'-]+\s+){0,2}[A-Z][a-zA-Z'-]+ --------
 * At most one title is followed by '.' or whitespace, so the alternation is a lookup.
 * Each middle-name repetition either matches maximally or not at all (a shorter run is
 * followed by a letter, not whitespace; giving back whitespace leaves a space where
 * [A-Z] must be), so the greedy {0,2} takes k repetitions and then backs off one at a
 * time until the last name matches; after a backed-off repetition it always does. */
static Py_ssize_t m_titled(const Py_UCS4 *s, Py_ssize_t n, Py_ssize_t i, Replacement *r) {
    static const char *titles[] = {"mr",  "mrs", "ms",   "miss",       "mx",
                                   "dr",  "sir", "cllr", "councillor", NULL};
    if (!boundary(s, n, i))
        return -1;
    for (const char *const *t = titles; *t; t++) {
        Py_ssize_t len = match_ci(s, i, *t);
        if (len < 0)
            continue;
        Py_ssize_t q = i + len;
        if (s[q] == '.')
            q++;
        if (!is_space(s[q]))
            continue;
        Py_ssize_t w[3] = {skip_spaces(s, q), -1, -1};
        int k = 0;
        while (k < 2 && (w[k + 1] = middle_name(s, w[k])) >= 0)
            k++;
        Py_ssize_t end = -1;
        for (; k >= 0 && end < 0; k--)
            end = last_name(s, w[k]);
        if (end < 0)
            continue;
        r->keep = len;
        r->token = " xname";
        return end;
    }
    return -1;
}

/* [A-Z][a-z'-]+(?:\s+[A-Z][a-z'-]+)? after the negative lookahead: its end, or -1.
   The first name is maximal; the optional second is taken when it matches. */
static Py_ssize_t one_or_two_names(const Py_UCS4 *s, Py_ssize_t q, const char *const *stop) {
    if (word_in(s, q, stop))
        return -1;
    if (!is_upper(s[q]) || !is_name_tail(s[q + 1]))
        return -1;
    Py_ssize_t r = q + 1;
    while (is_name_tail(s[r]))
        r++;
    if (is_space(s[r])) {
        Py_ssize_t t = skip_spaces(s, r);
        if (is_upper(s[t]) && is_name_tail(s[t + 1])) {
            r = t + 1;
            while (is_name_tail(s[r]))
                r++;
        }
    }
    return r;
}

/* --- \b((?i:my|her|...)\s+(?i:mother|mum|...|work coach|caseworker)),?\s+
 *     (?!(?:Sir|Madam|...|I)\b)[A-Z][a-z'-]+(?:\s+[A-Z][a-z'-]+)?
 * Every alternation is tried in order with its deterministic continuation, which is
 * the regex's own backtracking order.  The lookahead fails when the maximal word run
 * equals one of its words (each is all word characters followed by \b). */
static Py_ssize_t m_relation(const Py_UCS4 *s, Py_ssize_t n, Py_ssize_t i, Replacement *r) {
    static const char *owners[] = {"my", "her", "his", "their", "our", "the", "your", NULL};
    static const char *relations[] = {
        "mother",   "mum",       "mam",         "father",     "dad",       "son",
        "daughter", "husband",   "wife",        "partner",    "brother",   "sister",
        "client",   "constituent", "tenant",    "friend",     "neighbour", "nan",
        "gran",     "grandad",   "grandson",    "granddaughter", "aunt",   "uncle",
        "nephew",   "niece",     "carer",       "customer",   "claimant",  "cousin",
        "fiance",   "fiancee",   "colleague",   "adviser",    "advisor",   "work coach",
        "caseworker", NULL};
    static const char *stop[] = {"Sir", "Madam", "And", "The", "Is",    "Has",
                                 "Had", "Was",   "Who", "Which", "I", NULL};
    if (!boundary(s, n, i))
        return -1;
    for (const char *const *o = owners; *o; o++) {
        Py_ssize_t len = match_ci(s, i, *o);
        if (len < 0 || !is_space(s[i + len]))
            continue;
        Py_ssize_t r0 = skip_spaces(s, i + len);
        for (const char *const *rel = relations; *rel; rel++) {
            Py_ssize_t rlen = match_ci(s, r0, *rel);
            if (rlen < 0)
                continue;
            Py_ssize_t g_end = r0 + rlen, q = g_end;
            if (s[q] == ',')
                q++;
            if (!is_space(s[q]))
                continue;
            Py_ssize_t end = one_or_two_names(s, skip_spaces(s, q), stop);
            if (end < 0)
                continue;
            r->keep = g_end - i;
            r->token = " xname";
            return end;
        }
    }
    return -1;
}

/* --- \b((?i:dear|hi|hello))\s+(?!(?:Sir|...|Dr)\b)[A-Z][a-z'-]+(?:\s+[A-Z][a-z'-]+)? */
static Py_ssize_t m_dear(const Py_UCS4 *s, Py_ssize_t n, Py_ssize_t i, Replacement *r) {
    static const char *greetings[] = {"dear", "hi", "hello", NULL};
    static const char *stop[] = {"Sir", "Madam", "Sirs", "All", "Team", "DWP", "Mr",
                                 "Mrs", "Ms",    "Miss", "Mx",  "Dr",   NULL};
    if (!boundary(s, n, i))
        return -1;
    for (const char *const *g = greetings; *g; g++) {
        Py_ssize_t len = match_ci(s, i, *g);
        if (len < 0 || !is_space(s[i + len]))
            continue;
        Py_ssize_t end = one_or_two_names(s, skip_spaces(s, i + len), stop);
        if (end < 0)
            continue;
        r->keep = len;
        r->token = " xname";
        return end;
    }
    return -1;
}

/* Flags set by lower_pass for the guards of the later passes. */
typedef struct {
    int at, digit, apostrophe, url, pound, nt;
} Seen;

/* text.translate(_QUOTES).lower() for a supported text (non-ASCII chars are uncased).
   Word characters stay word characters, so the word starts stay valid. */
static int lower_pass(Norm *nm, Seen *seen) {
    UBuf *src = &nm->text, *dst = &nm->tmp;
    if (ubuf_reserve(dst, src->n + 1) < 0)
        return -1;
    const Py_UCS4 *s = src->p;
    memset(seen, 0, sizeof(*seen));
    for (Py_ssize_t i = 0; i < src->n; i++) {
        Py_UCS4 c = s[i];
        if (c == 0x2018 || c == 0x2019 || c == '`')
            c = '\'';
        else if (c == 0x201c || c == 0x201d)
            c = '"';
        else
            c = lower_ascii(c);
        seen->at |= c == '@';
        seen->digit |= is_digit(c);
        seen->apostrophe |= c == '\'';
        seen->url |= c == ':' || c == '.';
        seen->pound |= c == 0xa3;
        seen->nt |= c == 't' && i > 0 && dst->p[i - 1] == 'n';
        dst->p[i] = c;
    }
    dst->n = src->n;
    dst->p[dst->n] = END;
    UBuf t = *src;
    *src = *dst;
    *dst = t;
    return 0;
}

/* --- \bhttps?://\S+|\bwww\.\S+ ------------------------------------------------- */
static Py_ssize_t m_url(const Py_UCS4 *s, Py_ssize_t n, Py_ssize_t i, Replacement *r) {
    if (!boundary(s, n, i))
        return -1;
    Py_ssize_t q = -1;
    if (match_exact(s, i, "http") > 0) {
        q = i + 4;
        if (s[q] == 's')
            q++;
        q = match_exact(s, q, "://") > 0 ? q + 3 : -1;
    }
    if (q < 0 && match_exact(s, i, "www.") > 0)
        q = i + 4;
    if (q < 0 || q >= n || is_space(s[q]))
        return -1;
    while (q < n && !is_space(s[q]))
        q++;
    r->token = " xurl ";
    return q;
}

static inline int is_local(Py_UCS4 c) { return is_word(c) || c == '.' || c == '+' || c == '-'; }
static inline int is_domain(Py_UCS4 c) { return is_word(c) || c == '-'; }

/* --- \b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b -------------------------------------------
 * The local part is the maximal run (the char after a shorter one is not '@'); the
 * first domain label is maximal (a shorter one is not followed by '.').  The greedy
 * (?:\.[\w-]+)+ takes every ".label" it can; on failure of the final \b the engine
 * shortens the last label, then drops it, and so on: the match ends at the rightmost
 * position inside the labels after the first (not at a label's start) where \b holds. */
static Py_ssize_t m_email(const Py_UCS4 *s, Py_ssize_t n, Py_ssize_t i, Replacement *r) {
    if (!is_local(s[i]) || !boundary(s, n, i))
        return -1;
    Py_ssize_t j = i;
    while (is_local(s[j]))
        j++;
    if (s[j] != '@' || !is_domain(s[j + 1]))
        return NO_MATCH_BEFORE(j); /* every start inside the run ends its run at j */
    Py_ssize_t p = j + 1;
    while (is_domain(s[p]))
        p++;
    Py_ssize_t first = p; /* labels after the first one lie in (first, last_end] */
    while (s[p] == '.' && is_domain(s[p + 1])) {
        p++;
        while (is_domain(s[p]))
            p++;
    }
    for (Py_ssize_t k = p; k > first + 1; k--) {
        if (s[k - 1] == '.') /* k is the start of a label: not a candidate */
            continue;
        if (boundary(s, n, k)) {
            r->token = " xemail ";
            return k;
        }
    }
    return NO_MATCH_BEFORE(j); /* later starts in the run share its domain */
}

/* --- \b[a-z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[a-d]\b  (each \s? is taken when present:
 * giving it back leaves whitespace where a digit or [a-d] must be) */
static Py_ssize_t m_nino(const Py_UCS4 *s, Py_ssize_t n, Py_ssize_t i, Replacement *r) {
    if (!boundary(s, n, i) || !is_lower(s[i]) || !is_lower(s[i + 1]))
        return -1;
    Py_ssize_t p = i + 2;
    for (int k = 0; k < 3; k++) {
        if (is_space(s[p]))
            p++;
        if (!is_digit(s[p]) || !is_digit(s[p + 1]))
            return -1;
        p += 2;
    }
    if (is_space(s[p]))
        p++;
    if (!(s[p] >= 'a' && s[p] <= 'd') || !boundary(s, n, p + 1))
        return -1;
    r->token = " xnum ";
    return p + 1;
}

/* A maximal digit run at p of length in [lo, hi]: its end, or -1.  For \d{lo,hi}
   followed by something that is not a digit, a shorter take never helps. */
static Py_ssize_t digit_run(const Py_UCS4 *s, Py_ssize_t p, int lo, int hi) {
    Py_ssize_t e = skip_digits(s, p);
    return (e - p >= lo && e - p <= hi) ? e : -1;
}

static inline int is_date_sep(Py_UCS4 c) { return c == '/' || c == '.' || c == '-'; }

/* \d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b at i (after \b): the end, or -1. */
static Py_ssize_t numeric_date(const Py_UCS4 *s, Py_ssize_t n, Py_ssize_t i) {
    Py_ssize_t p = digit_run(s, i, 1, 2);
    if (p < 0 || !is_date_sep(s[p]))
        return -1;
    p = digit_run(s, p + 1, 1, 2);
    if (p < 0 || !is_date_sep(s[p]))
        return -1;
    p = digit_run(s, p + 1, 2, 4);
    return (p >= 0 && boundary(s, n, p)) ? p : -1;
}

/* (?:\s+\d{4})?\b at p: the end, or -1 (the group is tried first). */
static Py_ssize_t year_then_boundary(const Py_UCS4 *s, Py_ssize_t n, Py_ssize_t p) {
    if (is_space(s[p])) {
        Py_ssize_t t = skip_spaces(s, p);
        if (is_digit(s[t]) && is_digit(s[t + 1]) && is_digit(s[t + 2]) && is_digit(s[t + 3]) &&
            boundary(s, n, t + 4))
            return t + 4;
    }
    return boundary(s, n, p) ? p : -1;
}

/* \d{1,2}(?:st|nd|rd|th)?\s+(?:jan|...|dec)[a-z]*\.?(?:\s+\d{4})?\b at i, IGNORECASE.
 * [a-z]* is maximal: a shorter take leaves a letter after it, where neither '.', the
 * year's whitespace nor \b (letter on both sides) can match. */
static Py_ssize_t written_date(const Py_UCS4 *s, Py_ssize_t n, Py_ssize_t i) {
    static const char *months[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul",
                                   "aug", "sep", "oct", "nov", "dec", NULL};
    static const char *suffixes[] = {"st", "nd", "rd", "th", NULL};
    Py_ssize_t p = digit_run(s, i, 1, 2);
    if (p < 0)
        return -1;
    for (const char *const *x = suffixes; *x; x++)
        if (match_ci(s, p, *x) > 0) {
            p += 2;
            break;
        }
    if (!is_space(s[p]))
        return -1;
    p = skip_spaces(s, p);
    int month = 0;
    for (const char *const *m = months; *m && !month; m++)
        month = match_ci(s, p, *m) > 0;
    if (!month)
        return -1;
    p += 3;
    while (is_alpha(s[p]))
        p++;
    if (s[p] == '.') {
        Py_ssize_t e = year_then_boundary(s, n, p + 1);
        if (e >= 0)
            return e;
    }
    return year_then_boundary(s, n, p);
}

static Py_ssize_t m_date(const Py_UCS4 *s, Py_ssize_t n, Py_ssize_t i, Replacement *r) {
    if (!boundary(s, n, i))
        return -1;
    Py_ssize_t e = numeric_date(s, n, i);
    if (e < 0)
        e = written_date(s, n, i);
    if (e < 0)
        return -1;
    r->token = " xdate ";
    return e;
}

static inline int is_digit_or_comma(Py_UCS4 c) { return is_digit(c) || c == ','; }

/* --- £\s?\d[\d,]*(?:\.\d+)?|\b\d[\d,]*(?:\.\d{2})?\s?(?:pounds|quid)\b -------------
 * [\d,]* is maximal in both (a shorter take is followed by a digit or ',', where none of
 * what follows can match); each optional part is taken when it matches. */
static Py_ssize_t m_money(const Py_UCS4 *s, Py_ssize_t n, Py_ssize_t i, Replacement *r) {
    Py_ssize_t p;
    if (s[i] == 0xa3) {
        p = i + 1;
        if (is_space(s[p]) && is_digit(s[p + 1]))
            p++;
        if (!is_digit(s[p]))
            return -1;
        while (is_digit_or_comma(s[p]))
            p++;
        if (s[p] == '.' && is_digit(s[p + 1]))
            p = skip_digits(s, p + 1);
    } else {
        if (!is_digit(s[i]) || !boundary(s, n, i))
            return -1;
        p = i + 1;
        while (is_digit_or_comma(s[p]))
            p++;
        if (s[p] == '.' && is_digit(s[p + 1]) && is_digit(s[p + 2]))
            p += 3;
        if (is_space(s[p]))
            p++;
        Py_ssize_t len = match_exact(s, p, "pounds");
        if (len < 0)
            len = match_exact(s, p, "quid");
        if (len < 0 || !boundary(s, n, p + len))
            return -1;
        p += len;
    }
    r->token = " xmoney ";
    return p;
}

static inline int is_digit_space_dash(Py_UCS4 c) { return is_digit(c) || c == '-' || is_space(c); }
static inline int is_token_tail(Py_UCS4 c) { return is_word(c) || c == '.' || c == '/' || c == '-'; }

/* --- \d[\d\s-]{5,}\d|\b\w*\d(?:[\w./-]*\w)?
 * First alternative: the greedy run gives back characters until a digit follows, so
 * the match ends at the last digit of the [\d\s-] run, which must leave >= 5 between.
 * Second: \w* backs off to the last digit of the word run; the optional group ends
 * at the last word character of the [\w./-] run after it. */
static Py_ssize_t m_digit_token(const Py_UCS4 *s, Py_ssize_t n, Py_ssize_t i, Replacement *r) {
    if (is_digit(s[i])) {
        Py_ssize_t last = -1;
        for (Py_ssize_t p = i + 1; is_digit_space_dash(s[p]); p++)
            if (is_digit(s[p]))
                last = p;
        if (last >= i + 6) {
            r->token = " xnum ";
            return last + 1;
        }
    }
    if (!is_word(s[i]) || !boundary(s, n, i))
        return -1;
    Py_ssize_t d = -1, p = i;
    for (; is_word(s[p]); p++)
        if (is_digit(s[p]))
            d = p;
    if (d < 0)
        return -1;
    Py_ssize_t end = d + 1;
    for (p = d + 1; is_token_tail(s[p]); p++)
        if (is_word(s[p]))
            end = p + 1;
    r->token = " xnum ";
    return end;
}

/* --- \b(can|won)'?t\b --------------------------------------------------------- */
static Py_ssize_t m_cant_wont(const Py_UCS4 *s, Py_ssize_t n, Py_ssize_t i, Replacement *r) {
    if (!boundary(s, n, i))
        return -1;
    int can = match_exact(s, i, "can") > 0;
    if (!can && match_exact(s, i, "won") < 0)
        return -1;
    Py_ssize_t p = i + 3;
    if (s[p] == '\'')
        p++;
    if (s[p] != 't' || !boundary(s, n, p + 1))
        return -1;
    r->token = can ? "can not" : "will not";
    return p + 1;
}

/* --- (?<=[a-z])(n't|'ve|'ll|'re|'d|'m)\b ----------------------------------------- */
static Py_ssize_t m_contraction(const Py_UCS4 *s, Py_ssize_t n, Py_ssize_t i, Replacement *r) {
    static const char *forms[] = {"n't", "'ve", "'ll", "'re", "'d", "'m", NULL};
    static const char *expansions[] = {" not", " have", " will", " are", " would", " am"};
    if (i == 0 || !is_lower(s[i - 1]))
        return -1;
    for (int k = 0; forms[k]; k++) {
        Py_ssize_t len = match_exact(s, i, forms[k]);
        if (len > 0 && boundary(s, n, i + len)) {
            r->token = expansions[k];
            return i + len;
        }
    }
    return -1;
}

static inline int is_punct(Py_UCS4 c) {
    return c == ',' || c == '.' || c == ';' || c == ':' || c == '!' || c == '?' || c == '(' ||
           c == ')';
}

/* _PUNCT.sub(r" \1 ", text) then " ".join(text.split()). */
static int spacing_pass(Norm *nm) {
    UBuf *src = &nm->text, *dst = &nm->tmp;
    if (ubuf_reserve(dst, 3 * src->n + 1) < 0)
        return -1;
    dst->n = 0;
    int pending = 0; /* whitespace seen since the last character written */
    for (Py_ssize_t i = 0; i < src->n; i++) {
        Py_UCS4 c = src->p[i];
        int punct = is_punct(c);
        if (punct || is_space(c))
            pending = 1;
        if (is_space(c))
            continue;
        if (pending && dst->n > 0)
            dst->p[dst->n++] = ' ';
        dst->p[dst->n++] = c;
        pending = punct;
    }
    dst->p[dst->n] = END;
    UBuf t = *src;
    *src = *dst;
    *dst = t;
    return 0;
}

/* The passes, in the order normalise applies them (filled by init_passes). */
static Pass PLACEHOLDER, TITLED, RELATION, DEAR, URL, EMAIL, NINO, DATE, MONEY, DIGIT_TOKEN,
    CANT_WONT, CONTRACTION;

/* normalise(nm->text) in place: 1 done, 0 declined (unsupported characters), -1 error.
   The guards only skip passes that cannot match. */
static int normalise_buf(Norm *nm, int mask) {
    int bracket = 0;
    if (!supported(nm->text.p, nm->text.n, &bracket))
        return 0;
    nm->words_valid = 0;
    if (mask) {
        if (bracket && run_pass(&PLACEHOLDER, nm, 0) < 0)
            return -1;
        if (run_pass(&TITLED, nm, 1) < 0 || run_pass(&RELATION, nm, 1) < 0 ||
            run_pass(&DEAR, nm, 1) < 0)
            return -1;
    }
    Seen seen;
    if (lower_pass(nm, &seen) < 0)
        return -1;
    if (mask) {
        if (seen.url && run_pass(&URL, nm, 1) < 0)
            return -1;
        if (seen.at && run_pass(&EMAIL, nm, 0) < 0)
            return -1;
        if (seen.digit &&
            (run_pass(&NINO, nm, 1) < 0 || run_pass(&DATE, nm, 1) < 0 ||
             run_pass(&MONEY, nm, !seen.pound) < 0 || run_pass(&DIGIT_TOKEN, nm, 0) < 0))
            return -1;
    }
    if ((seen.apostrophe || seen.nt) && run_pass(&CANT_WONT, nm, 1) < 0)
        return -1;
    if (seen.apostrophe && run_pass(&CONTRACTION, nm, 0) < 0)
        return -1;
    return spacing_pass(nm) < 0 ? -1 : 1;
}

static void init_pass(Pass *pass, Matcher match, int where, const char *starts) {
    pass->match = match;
    pass->where = where;
    set_starts(pass->starts, starts);
}

static void init_passes(void) {
    const char *word = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";
    init_pass(&PLACEHOLDER, m_placeholder, ANYWHERE, "[");
    init_pass(&TITLED, m_titled, WORD_START, "mMdDsScC");
    init_pass(&RELATION, m_relation, WORD_START, "mMhHtToOyY");
    init_pass(&DEAR, m_dear, WORD_START, "dDhH");
    init_pass(&URL, m_url, WORD_START, "hw");
    init_pass(&EMAIL, m_email, WORD_START, word);
    EMAIL.starts['.'] = EMAIL.starts['+'] = EMAIL.starts['-'] = 1;
    init_pass(&NINO, m_nino, WORD_START, "abcdefghijklmnopqrstuvwxyz");
    init_pass(&DATE, m_date, WORD_START, "0123456789");
    init_pass(&MONEY, m_money, WORD_START, "0123456789");
    MONEY.starts[0xa3] = 1; /* the pound sign */
    init_pass(&DIGIT_TOKEN, m_digit_token, WORD_OR_DIGIT, word);
    init_pass(&CANT_WONT, m_cant_wont, WORD_START, "cw");
    init_pass(&CONTRACTION, m_contraction, ANYWHERE, "n'"); /* (?<=[a-z]): mid-word */
}

/* ================================================================== hashing */

static inline uint64_t hash_step(uint64_t h, uint64_t c) { return h * HASH_B + c + 1; }

static uint64_t hash_span(const Py_UCS4 *s, Py_ssize_t len) {
    uint64_t h = 0;
    for (Py_ssize_t i = 0; i < len; i++)
        h = hash_step(h, s[i]);
    return h;
}

/* The murmur3 finaliser: spreads the polynomial hash's bits before masking. */
static inline uint64_t mix(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static inline int same_chars(const Py_UCS4 *a, const Py_UCS4 *b, Py_ssize_t len) {
    for (Py_ssize_t k = 0; k < len; k++)
        if (a[k] != b[k])
            return 0;
    return 1;
}

static size_t table_capacity(Py_ssize_t keys) {
    size_t cap = 16;
    while (cap < 2 * (size_t)keys) /* load factor at most 1/2 */
        cap *= 2;
    return cap;
}

/* ============================================================== string tables */

/* One slot of a string table (open addressing, linear probing). */
typedef struct {
    uint32_t tag; /* upper 32 bits of mix(hash): most mismatches fail here */
    int32_t id;   /* the key's id; -1 marks an empty slot */
} Slot;

/* Strings -> ids 0, 1, 2, ... in insertion order; key `id` is pool[off[id] .. off[id+1]).
   Used for the char n-gram vocabulary (id = column) and for the distinct tokens of the
   word n-grams (id = token id).  Capacities are fixed when the table is created. */
typedef struct {
    Slot *slots;
    size_t mask;
    Py_UCS4 *pool;
    Py_ssize_t *off;
    Py_ssize_t size;
} StrTable;

static void strtab_free(StrTable *t) {
    PyMem_Free(t->slots);
    PyMem_Free(t->pool);
    PyMem_Free(t->off);
    memset(t, 0, sizeof(*t));
}

static int strtab_init(StrTable *t, Py_ssize_t max_keys, Py_ssize_t max_chars) {
    size_t cap = table_capacity(max_keys);
    t->mask = cap - 1;
    t->size = 0;
    t->slots = PyMem_Malloc(cap * sizeof(Slot));
    t->pool = PyMem_Malloc(((size_t)max_chars + 1) * sizeof(Py_UCS4));
    t->off = PyMem_Malloc(((size_t)max_keys + 1) * sizeof(Py_ssize_t));
    if (!t->slots || !t->pool || !t->off) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t k = 0; k < cap; k++)
        t->slots[k].id = -1;
    t->off[0] = 0;
    return 0;
}

/* The slot of key s[0..len) (hash h): its own, or the empty one where it would go. */
static inline Slot *strtab_slot(const StrTable *t, uint64_t h, const Py_UCS4 *s, Py_ssize_t len) {
    uint64_t mixed = mix(h);
    uint32_t tag = (uint32_t)(mixed >> 32);
    for (size_t k = (size_t)mixed & t->mask;; k = (k + 1) & t->mask) {
        Slot *slot = &t->slots[k];
        if (slot->id < 0)
            return slot;
        if (slot->tag != tag)
            continue;
        Py_ssize_t a = t->off[slot->id];
        if (t->off[slot->id + 1] - a == len && same_chars(t->pool + a, s, len))
            return slot;
    }
}

static inline int32_t strtab_find(const StrTable *t, uint64_t h, const Py_UCS4 *s,
                                  Py_ssize_t len) {
    return strtab_slot(t, h, s, len)->id;
}

/* The id of s[0..len), added if new (the capacities given to strtab_init must allow). */
static int32_t strtab_add(StrTable *t, const Py_UCS4 *s, Py_ssize_t len) {
    uint64_t h = hash_span(s, len);
    Slot *slot = strtab_slot(t, h, s, len);
    if (slot->id >= 0)
        return slot->id;
    Py_ssize_t at = t->off[t->size];
    memcpy(t->pool + at, s, (size_t)len * sizeof(Py_UCS4));
    t->off[t->size + 1] = at + len;
    slot->tag = (uint32_t)(mix(h) >> 32);
    slot->id = (int32_t)t->size;
    return (int32_t)t->size++;
}

/* Total length of the str items of a list (TypeError for other items). */
static Py_ssize_t total_chars(PyObject *names) {
    Py_ssize_t total = 0;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(names); i++) {
        PyObject *name = PyList_GET_ITEM(names, i);
        if (!PyUnicode_Check(name)) {
            PyErr_SetString(PyExc_TypeError, "vocabulary entries must be str");
            return -1;
        }
        total += PyUnicode_GET_LENGTH(name);
    }
    return total;
}

/* The char n-gram vocabulary: names[i] gets id (column) i. */
static int char_vocab_build(StrTable *t, PyObject *names, UBuf *scratch) {
    Py_ssize_t size = PyList_GET_SIZE(names), total = total_chars(names);
    if (total < 0 || strtab_init(t, size, total) < 0)
        return -1;
    for (Py_ssize_t i = 0; i < size; i++) {
        if (read_str(PyList_GET_ITEM(names, i), scratch) < 0)
            return -1;
        if (strtab_add(t, scratch->p, scratch->n) != i) {
            PyErr_SetString(PyExc_ValueError, "duplicate char n-gram in the vocabulary");
            return -1;
        }
    }
    return 0;
}

/* ============================================================ word vocabulary
 *
 * A word n-gram is its tokens joined by single spaces, and tokens never contain spaces,
 * so each vocabulary entry splits back into exactly one token sequence.  Tokens get ids
 * (a StrTable); an n-gram is then looked up by its token ids: 1-grams in a dense array,
 * longer ones in an open-addressing table keyed by the packed pair of ids (n = 2, exact)
 * or by a hash of the ids (n >= 3, checked against the column's stored ids).  A document
 * token absent from the table cannot be part of any vocabulary n-gram.
 */

/* One slot of the n >= 2 table. */
typedef struct {
    uint64_t key; /* pair_key(a, b) for n = 2, ids_hash() for n >= 3 */
    int32_t column;
    int32_t n; /* tokens in the n-gram; 0 marks an empty slot */
} GramSlot;

typedef struct {
    StrTable tokens;
    int32_t *unigram; /* token id -> column of the 1-gram, or -1 */
    uint8_t *role;    /* token id -> FIRST | LAST: starts / ends some n-gram, n >= 2 */
    GramSlot *slots;
    size_t mask;
    int32_t *ids;       /* token ids of every column, back to back */
    Py_ssize_t *ids_at; /* column j's ids are ids[ids_at[j] .. ids_at[j + 1]) */
    Py_ssize_t size;    /* columns */
} WordVocab;

#define FIRST 1
#define LAST 2

static void word_vocab_free(WordVocab *v) {
    strtab_free(&v->tokens);
    PyMem_Free(v->unigram);
    PyMem_Free(v->role);
    PyMem_Free(v->slots);
    PyMem_Free(v->ids);
    PyMem_Free(v->ids_at);
    memset(v, 0, sizeof(*v));
}

static inline uint64_t pair_key(int32_t a, int32_t b) {
    return ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
}

static inline uint64_t ids_hash(const int32_t *ids, int n) {
    uint64_t h = 0;
    for (int k = 0; k < n; k++)
        h = hash_step(h, (uint32_t)ids[k]);
    return h;
}

static inline uint64_t gram_key(const int32_t *ids, int n) {
    return n == 2 ? pair_key(ids[0], ids[1]) : ids_hash(ids, n);
}

/* Column of the n-gram of token ids ids[0..n) (none of them -1), or -1. */
static inline int32_t word_find(const WordVocab *v, const int32_t *ids, int n) {
    if (n == 1)
        return v->unigram[ids[0]];
    uint64_t key = gram_key(ids, n);
    for (size_t k = (size_t)mix(key) & v->mask;; k = (k + 1) & v->mask) {
        const GramSlot *slot = &v->slots[k];
        if (slot->n == 0)
            return -1;
        if (slot->n != n || slot->key != key)
            continue;
        if (n == 2 || memcmp(v->ids + v->ids_at[slot->column], ids, (size_t)n * 4) == 0)
            return slot->column;
    }
}

/* Splits key s[0..len) at spaces into token ids appended to v->ids; the number of
   tokens, or 0 when the key has an empty part (no document n-gram can equal it). */
static int split_key(WordVocab *v, const Py_UCS4 *s, Py_ssize_t len, Py_ssize_t *ids_n) {
    int n = 0;
    Py_ssize_t start = 0;
    for (Py_ssize_t i = 0; i <= len; i++) {
        if (i < len && s[i] != ' ')
            continue;
        if (i == start)
            return 0;
        v->ids[(*ids_n)++] = strtab_add(&v->tokens, s + start, i - start);
        n++;
        start = i + 1;
    }
    return n;
}

static void word_vocab_insert(WordVocab *v, int32_t column, int n) {
    const int32_t *ids = v->ids + v->ids_at[column];
    if (n == 1) {
        v->unigram[ids[0]] = column;
        return;
    }
    v->role[ids[0]] |= FIRST;
    v->role[ids[n - 1]] |= LAST;
    uint64_t key = gram_key(ids, n);
    size_t k = (size_t)mix(key) & v->mask;
    while (v->slots[k].n != 0)
        k = (k + 1) & v->mask;
    v->slots[k].key = key;
    v->slots[k].column = column;
    v->slots[k].n = n;
}

/* The word vocabulary: names[j] (tokens joined by spaces) gets column j. */
static int word_vocab_build(WordVocab *v, PyObject *names, UBuf *scratch) {
    Py_ssize_t size = PyList_GET_SIZE(names), total = total_chars(names);
    if (total < 0 || strtab_init(&v->tokens, total + size, total) < 0)
        return -1;
    size_t cap = table_capacity(size);
    v->size = size;
    v->mask = cap - 1;
    v->slots = PyMem_Calloc(cap, sizeof(GramSlot));
    v->ids = PyMem_Malloc(((size_t)(total + size) + 1) * sizeof(int32_t));
    v->ids_at = PyMem_Malloc(((size_t)size + 1) * sizeof(Py_ssize_t));
    v->unigram = PyMem_Malloc(((size_t)(total + size) + 1) * sizeof(int32_t));
    v->role = PyMem_Calloc((size_t)(total + size) + 1, 1);
    if (!v->slots || !v->ids || !v->ids_at || !v->unigram || !v->role) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t t = 0; t < total + size; t++)
        v->unigram[t] = -1;
    Py_ssize_t ids_n = 0;
    for (Py_ssize_t j = 0; j < size; j++) {
        if (read_str(PyList_GET_ITEM(names, j), scratch) < 0)
            return -1;
        v->ids_at[j] = ids_n;
        int n = split_key(v, scratch->p, scratch->n, &ids_n);
        if (n == 0)
            ids_n = v->ids_at[j]; /* unmatchable: store nothing */
        else
            word_vocab_insert(v, (int32_t)j, n);
    }
    v->ids_at[size] = ids_n;
    return 0;
}

/* =================================================================== unit cache
 *
 * A unit is a whitespace-separated word of a normalised text.  The cache maps each
 * distinct unit to an entry, a run of int32 in `pool`:
 *     len, its len code points, n_char, n_char char columns (one per occurrence of each
 *     char n-gram of " unit "), n_tok, n_tok token ids (-1 for tokens not in the word
 *     vocabulary)
 * A slot holds the unit's hash and 1 + the offset of its entry (0 marks an empty slot).
 */

typedef struct {
    uint64_t hash;
    uint32_t entry; /* 1 + offset in pool; 0 = empty */
    uint32_t len;
} UnitSlot;

typedef struct {
    UnitSlot *slots;
    size_t mask, used;
    VBuf pool; /* int32 */
} UnitCache;

#define CACHE_MAX_UNITS 200000
#define CACHE_MAX_POOL (8 * 1024 * 1024) /* int32 entries for all units (32 MB) */
#define CACHE_MAX_LEN 64                 /* longer units are not cached */

static void cache_free(UnitCache *c) {
    PyMem_Free(c->slots);
    PyMem_Free(c->pool.p);
    memset(c, 0, sizeof(*c));
}

static int cache_init(UnitCache *c) {
    memset(c, 0, sizeof(*c));
    c->mask = 4095;
    c->slots = PyMem_Calloc(c->mask + 1, sizeof(UnitSlot));
    if (!c->slots) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

/* The slot of unit s[0..len) (hash h): its own, or the empty one where it would go. */
static inline UnitSlot *cache_slot(const UnitCache *c, uint64_t h, const Py_UCS4 *s,
                                   Py_ssize_t len) {
    for (size_t k = (size_t)mix(h) & c->mask;; k = (k + 1) & c->mask) {
        UnitSlot *slot = &c->slots[k];
        if (slot->entry == 0)
            return slot;
        if (slot->hash != h || slot->len != (uint32_t)len)
            continue;
        const int32_t *e = (const int32_t *)c->pool.p + slot->entry - 1;
        if (same_chars((const Py_UCS4 *)(e + 1), s, len))
            return slot;
    }
}

static int cache_grow(UnitCache *c) {
    size_t old_cap = c->mask + 1, cap = 2 * old_cap;
    UnitSlot *slots = PyMem_Calloc(cap, sizeof(UnitSlot)), *old = c->slots;
    if (!slots) {
        PyErr_NoMemory();
        return -1;
    }
    c->slots = slots;
    c->mask = cap - 1;
    for (size_t k = 0; k < old_cap; k++) {
        if (old[k].entry == 0)
            continue;
        size_t j = (size_t)mix(old[k].hash) & c->mask;
        while (slots[j].entry)
            j = (j + 1) & c->mask;
        slots[j] = old[k];
    }
    PyMem_Free(old);
    return 0;
}

/* Stores `entry` (n int32) for a unit whose slot lookup returned `slot`, if room. */
static int cache_store(UnitCache *c, UnitSlot *slot, uint64_t h, const int32_t *entry,
                       Py_ssize_t n) {
    if (c->used >= CACHE_MAX_UNITS || c->pool.n + n > CACHE_MAX_POOL || entry[0] > CACHE_MAX_LEN)
        return 0;
    if (vbuf_reserve(&c->pool, c->pool.n + n, 4) < 0)
        return -1;
    memcpy((int32_t *)c->pool.p + c->pool.n, entry, (size_t)n * 4);
    slot->hash = h;
    slot->len = (uint32_t)entry[0];
    slot->entry = (uint32_t)c->pool.n + 1;
    c->pool.n += n;
    if (++c->used * 2 > c->mask + 1)
        return cache_grow(c);
    return 0;
}

/* ================================================================= featurizer */

#define TF_TABLE 65536 /* counts below this use the tf tables computed by numpy */

/* Output CSR arrays under construction. */
typedef struct {
    VBuf data;    /* float */
    VBuf indices; /* int32 */
    VBuf indptr;  /* int64 */
} Csr;

typedef struct {
    PyObject_HEAD
    WordVocab word;
    StrTable chr;
    int has_char;
    int word_lo, word_hi, char_lo, char_hi;
    double *word_idf, *char_idf;
    float *word_tf;  /* word block tf of a count (float32, as numpy computes it) */
    double *char_tf; /* char block tf of a count (float64) */
    /* The current document's counts: counts[c] for column c, with a two-level bitmap
       of the nonzero ones (bit c of seen0; bit c / 64 of seen1) to visit them in
       column order.  All zero between documents. */
    int32_t *counts;
    uint64_t *seen0, *seen1;
    Py_ssize_t distinct; /* nonzero counts */
    VBuf doc_tokens; /* int32 token ids of the current document */
    VBuf entry;      /* int32 the entry of a unit being computed (see UnitCache) */
    VBuf row_counts; /* int32 count of each distinct column of the row */
    VBuf row_values; /* double char values of the row before normalisation */
    Norm norm;
    UBuf padded;
    UnitCache cache;
    Csr out;
} Featurizer;

static void feat_dealloc(Featurizer *f) {
    word_vocab_free(&f->word);
    strtab_free(&f->chr);
    PyMem_Free(f->word_idf);
    PyMem_Free(f->char_idf);
    PyMem_Free(f->word_tf);
    PyMem_Free(f->char_tf);
    PyMem_Free(f->counts);
    PyMem_Free(f->seen0);
    PyMem_Free(f->seen1);
    VBuf *bufs[] = {&f->doc_tokens, &f->entry, &f->row_counts, &f->row_values};
    for (size_t k = 0; k < sizeof(bufs) / sizeof(bufs[0]); k++)
        PyMem_Free(bufs[k]->p);
    PyMem_Free(f->norm.text.p);
    PyMem_Free(f->norm.tmp.p);
    PyMem_Free(f->norm.words.p);
    PyMem_Free(f->padded.p);
    PyMem_Free(f->out.data.p);
    PyMem_Free(f->out.indices.p);
    PyMem_Free(f->out.indptr.p);
    cache_free(&f->cache);
    Py_TYPE(f)->tp_free((PyObject *)f);
}

/* Copies a contiguous buffer of `count` items of `itemsize` bytes into fresh memory. */
static void *copy_buffer(PyObject *obj, Py_ssize_t count, Py_ssize_t itemsize, const char *what) {
    Py_buffer view;
    if (PyObject_GetBuffer(obj, &view, PyBUF_C_CONTIGUOUS) < 0)
        return NULL;
    void *out = NULL;
    if (view.len != count * itemsize)
        PyErr_Format(PyExc_ValueError, "%s: expected %zd bytes, got %zd", what, count * itemsize,
                     view.len);
    else if ((out = PyMem_Malloc((size_t)view.len + 1)) == NULL)
        PyErr_NoMemory();
    else
        memcpy(out, view.buf, (size_t)view.len);
    PyBuffer_Release(&view);
    return out;
}

static int parse_range(PyObject *obj, int *lo, int *hi) {
    if (!PyArg_ParseTuple(obj, "ii", lo, hi))
        return -1;
    if (*lo < 1 || *hi < *lo) {
        PyErr_SetString(PyExc_ValueError, "bad n-gram range");
        return -1;
    }
    return 0;
}

/* Featurizer(word_names, word_idf, word_range, char_names, char_idf, char_range,
              word_tf, char_tf): names[j] is column j's n-gram; idf arrays float64;
              char_names None for no char block; tf tables: the tf of counts 0 ..
              TF_TABLE - 1 (float32 for the word block, float64 for the char block). */
static int feat_init(Featurizer *f, PyObject *args, PyObject *kwds) {
    PyObject *wn, *wi, *wr, *cn, *ci, *cr, *wt, *ct;
    (void)kwds;
    if (!PyArg_ParseTuple(args, "O!OOOOOOO", &PyList_Type, &wn, &wi, &wr, &cn, &ci, &cr, &wt,
                          &ct))
        return -1;
    if (f->word.slots) {
        PyErr_SetString(PyExc_RuntimeError, "Featurizer already initialised");
        return -1;
    }
    if (parse_range(wr, &f->word_lo, &f->word_hi) < 0 ||
        word_vocab_build(&f->word, wn, &f->norm.text) < 0 ||
        !(f->word_idf = copy_buffer(wi, f->word.size, 8, "word_idf")))
        return -1;
    f->has_char = cn != Py_None;
    if (f->has_char) {
        if (!PyList_Check(cn)) {
            PyErr_SetString(PyExc_TypeError, "char_names must be a list or None");
            return -1;
        }
        if (parse_range(cr, &f->char_lo, &f->char_hi) < 0 ||
            char_vocab_build(&f->chr, cn, &f->norm.text) < 0 ||
            !(f->char_idf = copy_buffer(ci, f->chr.size, 8, "char_idf")))
            return -1;
    }
    if (!(f->word_tf = copy_buffer(wt, TF_TABLE, 4, "word_tf")) ||
        !(f->char_tf = copy_buffer(ct, TF_TABLE, 8, "char_tf")))
        return -1;
    size_t columns = (size_t)(f->word.size + f->chr.size);
    f->counts = PyMem_Calloc(columns + 1, sizeof(int32_t));
    f->seen0 = PyMem_Calloc(columns / 64 + 1, sizeof(uint64_t));
    f->seen1 = PyMem_Calloc(columns / 4096 + 1, sizeof(uint64_t));
    if (!f->counts || !f->seen0 || !f->seen1) {
        PyErr_NoMemory();
        return -1;
    }
    return cache_init(&f->cache);
}

static inline int push_i32(VBuf *b, int32_t value) {
    if (b->n >= b->cap && vbuf_reserve(b, b->n + 1, 4) < 0)
        return -1;
    ((int32_t *)b->p)[b->n++] = value;
    return 0;
}

/* _word_grams: the char n-gram columns of " unit " (one per occurrence), appended to
   f->entry. */
static int unit_char_columns(Featurizer *f, const Py_UCS4 *w, Py_ssize_t len) {
    if (ubuf_reserve(&f->padded, len + 3) < 0)
        return -1;
    Py_UCS4 *p = f->padded.p;
    Py_ssize_t L = len + 2;
    p[0] = ' ';
    memcpy(p + 1, w, (size_t)len * sizeof(Py_UCS4));
    p[L - 1] = ' ';
    int32_t offset = (int32_t)f->word.size;
    int lo = f->char_lo, hi = f->char_hi;
    if (L < lo) { /* shorter than every n: the whole padded unit, once */
        int32_t id = strtab_find(&f->chr, hash_span(p, L), p, L);
        return id >= 0 ? push_i32(&f->entry, offset + id) : 0;
    }
    for (Py_ssize_t i = 0; i < L; i++) {
        uint64_t h = 0;
        for (Py_ssize_t m = 1; m <= hi && i + m <= L; m++) {
            h = hash_step(h, p[i + m - 1]);
            if (m < lo)
                continue;
            int32_t id = strtab_find(&f->chr, h, p + i, m);
            if (id >= 0 && push_i32(&f->entry, offset + id) < 0)
                return -1;
        }
    }
    return 0;
}

/* Token ids of the unit's tokens ((?u)\b\w+\b|[!?]: maximal runs of word characters,
   and each '!' and '?'), appended to f->entry. */
static int unit_tokens(Featurizer *f, const Py_UCS4 *w, Py_ssize_t len) {
    Py_ssize_t i = 0;
    while (i < len) {
        Py_ssize_t start = i;
        if (is_word(w[i])) {
            while (i < len && is_word(w[i]))
                i++;
        } else if (w[i] == '!' || w[i] == '?') {
            i++;
        } else {
            i++;
            continue;
        }
        int32_t id = strtab_find(&f->word.tokens, hash_span(w + start, i - start), w + start,
                                 i - start);
        if (push_i32(&f->entry, id) < 0)
            return -1;
    }
    return 0;
}

/* The unit's entry (see UnitCache), from the cache or computed (and cached if room).
   Valid until the next call. */
static const int32_t *unit_entry(Featurizer *f, const Py_UCS4 *w, Py_ssize_t len, uint64_t h) {
    UnitSlot *slot = cache_slot(&f->cache, h, w, len);
    if (slot->entry)
        return (const int32_t *)f->cache.pool.p + slot->entry - 1;
    VBuf *e = &f->entry;
    e->n = 0;
    if (vbuf_reserve(e, len + 3, 4) < 0)
        return NULL;
    ((int32_t *)e->p)[e->n++] = (int32_t)len;
    for (Py_ssize_t k = 0; k < len; k++)
        ((int32_t *)e->p)[e->n++] = (int32_t)w[k];
    Py_ssize_t n_char_at = e->n++;
    if (f->has_char && unit_char_columns(f, w, len) < 0)
        return NULL;
    ((int32_t *)e->p)[n_char_at] = (int32_t)(e->n - n_char_at - 1);
    Py_ssize_t n_tok_at = e->n;
    if (push_i32(e, 0) < 0 || unit_tokens(f, w, len) < 0)
        return NULL;
    ((int32_t *)e->p)[n_tok_at] = (int32_t)(e->n - n_tok_at - 1);
    if (cache_store(&f->cache, slot, h, (const int32_t *)e->p, e->n) < 0)
        return NULL;
    return (const int32_t *)e->p;
}

static int append_i32(VBuf *b, const int32_t *values, Py_ssize_t n) {
    if (vbuf_reserve(b, b->n + n, 4) < 0)
        return -1;
    memcpy((int32_t *)b->p + b->n, values, (size_t)n * 4);
    b->n += n;
    return 0;
}

/* One more occurrence of column c in the current document. */
static inline void count_column(Featurizer *f, int32_t c) {
    if (f->counts[c]++ == 0) {
        f->distinct++;
        f->seen0[c >> 6] |= 1ULL << (c & 63);
        f->seen1[c >> 12] |= 1ULL << ((c >> 6) & 63);
    }
}

/* sklearn's word n-grams: every window of g tokens, g in the range. */
static int word_grams(Featurizer *f) {
    const int32_t *ids = (const int32_t *)f->doc_tokens.p;
    Py_ssize_t nt = f->doc_tokens.n;
    for (int g = f->word_lo; g <= f->word_hi && g <= nt; g++) {
        Py_ssize_t unknown = -1; /* last position of a token absent from the vocabulary */
        for (Py_ssize_t i = 0; i < nt; i++) {
            if (ids[i] < 0)
                unknown = i;
            if (i + 1 < g || unknown > i - g) /* window ids[i-g+1 .. i] */
                continue;
            if (g > 1 && !((f->word.role[ids[i - g + 1]] & FIRST) && (f->word.role[ids[i]] & LAST)))
                continue;
            int32_t column = word_find(&f->word, ids + i - g + 1, g);
            if (column >= 0)
                count_column(f, column);
        }
    }
    return 0;
}

/* Counts the columns of every n-gram of the normalised text s[0..n). */
static int document_columns(Featurizer *f, const Py_UCS4 *s, Py_ssize_t n) {
    f->doc_tokens.n = 0;
    Py_ssize_t i = 0;
    while (i < n) {
        if (is_space(s[i])) {
            i++;
            continue;
        }
        Py_ssize_t start = i;
        uint64_t h = 0;
        for (; i < n && !is_space(s[i]); i++)
            h = hash_step(h, s[i]);
        const int32_t *e = unit_entry(f, s + start, i - start, h);
        if (e == NULL)
            return -1;
        e += 1 + e[0];
        for (int32_t k = 1; k <= e[0]; k++)
            count_column(f, e[k]);
        e += 1 + e[0];
        if (append_i32(&f->doc_tokens, e + 1, e[0]) < 0)
            return -1;
    }
    return word_grams(f);
}

static inline float word_tf(const Featurizer *f, int32_t count) {
    return count < TF_TABLE ? f->word_tf[count] : logf((float)count) + 1.0f;
}

static inline double char_tf(const Featurizer *f, int32_t count) {
    return count < TF_TABLE ? f->char_tf[count] : log((double)count) + 1.0;
}


/* The current document's distinct columns in order into cols[], their counts into
   counts[]; clears the counts and bitmaps.  Returns how many. */
static Py_ssize_t take_counts(Featurizer *f, int32_t *cols, int32_t *counts) {
    Py_ssize_t distinct = 0, words1 = (f->word.size + f->chr.size) / 4096 + 1;
    for (Py_ssize_t i1 = 0; i1 < words1; i1++) {
        for (uint64_t w1 = f->seen1[i1]; w1; w1 &= w1 - 1) {
            Py_ssize_t i0 = i1 * 64 + __builtin_ctzll(w1);
            for (uint64_t w0 = f->seen0[i0]; w0; w0 &= w0 - 1) {
                int32_t c = (int32_t)(i0 * 64 + __builtin_ctzll(w0));
                cols[distinct] = c;
                counts[distinct++] = f->counts[c];
                f->counts[c] = 0;
            }
            f->seen0[i0] = 0;
        }
        f->seen1[i1] = 0;
    }
    return distinct;
}

/* Word block values of the row's first n columns, as scikit-learn computes them in
   float32: tf * idf rounded to float32, divided by the l2 norm (float32 squares summed
   in a double). */
static void word_values(const Featurizer *f, const int32_t *cols, const int32_t *counts,
                        Py_ssize_t n, float *data) {
    double sum = 0.0;
    for (Py_ssize_t k = 0; k < n; k++) {
        float v = (float)((double)word_tf(f, counts[k]) * f->word_idf[cols[k]]);
        sum += (double)(v * v);
        data[k] = v;
    }
    if (sum == 0.0)
        return;
    sum = sqrt(sum);
    for (Py_ssize_t k = 0; k < n; k++)
        data[k] = (float)((double)data[k] / sum);
}

/* Char block values as _char_block computes them: float64 tf * idf divided by the l2
   norm, then rounded to float32 and scaled by char_weight in float32. */
static void char_values(const Featurizer *f, const int32_t *cols, const int32_t *counts,
                        Py_ssize_t n, double *values, float char_weight, float *data) {
    double sum = 0.0;
    for (Py_ssize_t k = 0; k < n; k++) {
        double v = char_tf(f, counts[k]) * f->char_idf[cols[k] - f->word.size];
        sum += v * v;
        values[k] = v;
    }
    if (sum != 0.0)
        sum = sqrt(sum);
    for (Py_ssize_t k = 0; k < n; k++) {
        float x = (float)(sum != 0.0 ? values[k] / sum : values[k]);
        data[k] = char_weight == 1.0f ? x : x * char_weight;
    }
}

/* The current document's TF-IDF row (word columns, then char columns) appended. */
static int emit_row(Featurizer *f, Csr *out, float char_weight) {
    Py_ssize_t n = f->distinct;
    if (vbuf_reserve(&out->data, out->data.n + n, 4) < 0 ||
        vbuf_reserve(&out->indices, out->indices.n + n, 4) < 0 ||
        vbuf_reserve(&f->row_counts, n, 4) < 0 || vbuf_reserve(&f->row_values, n, 8) < 0)
        return -1;
    int32_t *cols = (int32_t *)out->indices.p + out->indices.n;
    int32_t *counts = (int32_t *)f->row_counts.p;
    float *data = (float *)out->data.p + out->data.n;
    Py_ssize_t distinct = take_counts(f, cols, counts), n_word = 0;
    while (n_word < distinct && cols[n_word] < f->word.size)
        n_word++;
    word_values(f, cols, counts, n_word, data);
    char_values(f, cols + n_word, counts + n_word, distinct - n_word,
                (double *)f->row_values.p, char_weight, data + n_word);
    out->data.n += distinct;
    out->indices.n += distinct;
    f->distinct = 0;
    return 0;
}

/* Reads a text, normalised: in C when possible, else through fallback(text, mask).
   *fell_back is set when the fallback was used. */
static int normalised_text(Featurizer *f, PyObject *text, int mask, PyObject *fallback,
                           int *fell_back) {
    *fell_back = 0;
    if (PyUnicode_CheckExact(text)) {
        if (read_str(text, &f->norm.text) < 0)
            return -1;
        int done = normalise_buf(&f->norm, mask);
        if (done != 0)
            return done < 0 ? -1 : 0;
    }
    *fell_back = 1;
    PyObject *res = PyObject_CallFunction(fallback, "OO", text, mask ? Py_True : Py_False);
    if (res == NULL)
        return -1;
    int rc = -1;
    if (!PyUnicode_Check(res))
        PyErr_SetString(PyExc_TypeError, "the fallback normaliser must return str");
    else
        rc = read_str(res, &f->norm.text);
    Py_DECREF(res);
    return rc;
}

/* A writable copy of the buffer (numpy views it without copying again). */
static PyObject *bytearray_of(VBuf *b, size_t elem) {
    return PyByteArray_FromStringAndSize(b->p ? b->p : "", b->n * (Py_ssize_t)elem);
}

/* Zeroes the counts left by a document abandoned on an error. */
static void clear_counts(Featurizer *f) {
    Py_ssize_t words0 = (f->word.size + f->chr.size) / 64 + 1;
    for (Py_ssize_t i0 = 0; i0 < words0; i0++) {
        for (uint64_t w0 = f->seen0[i0]; w0; w0 &= w0 - 1)
            f->counts[i0 * 64 + __builtin_ctzll(w0)] = 0;
        f->seen0[i0] = 0;
    }
    memset(f->seen1, 0, ((size_t)(f->word.size + f->chr.size) / 4096 + 1) * sizeof(uint64_t));
    f->distinct = 0;
}

/* transform(texts, mask_entities, fallback, char_weight) ->
       (data float32, indices int32, indptr int64 as bytearrays, n_fallback) */
static PyObject *feat_transform(Featurizer *f, PyObject *args) {
    PyObject *texts, *fallback;
    int mask;
    float char_weight;
    if (!PyArg_ParseTuple(args, "OpOf", &texts, &mask, &fallback, &char_weight))
        return NULL;
    PyObject *seq = PySequence_Fast(texts, "texts must be a sequence");
    if (seq == NULL)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq), fallbacks = 0;
    Csr *out = &f->out; /* kept between calls: its memory is reused */
    out->data.n = out->indices.n = out->indptr.n = 0;
    PyObject *result = NULL;
    if (vbuf_reserve(&out->indptr, n + 1, 8) < 0)
        goto done;
    ((int64_t *)out->indptr.p)[out->indptr.n++] = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        int fell_back;
        if (normalised_text(f, PySequence_Fast_GET_ITEM(seq, i), mask, fallback, &fell_back) < 0)
            goto done;
        fallbacks += fell_back;
        if (document_columns(f, f->norm.text.p, f->norm.text.n) < 0 || emit_row(f, out, char_weight) < 0)
            goto done;
        ((int64_t *)out->indptr.p)[out->indptr.n++] = out->data.n;
    }
    result = Py_BuildValue("(NNNn)", bytearray_of(&out->data, 4),
                           bytearray_of(&out->indices, 4), bytearray_of(&out->indptr, 8),
                           fallbacks);
done:
    if (result == NULL)
        clear_counts(f);
    Py_DECREF(seq);
    return result;
}

static PyObject *feat_cache_info(Featurizer *f, PyObject *Py_UNUSED(ignored)) {
    return Py_BuildValue("{s:n,s:n,s:n,s:n}", "units", (Py_ssize_t)f->cache.used, "pool",
                         f->cache.pool.n, "slots", (Py_ssize_t)(f->cache.mask + 1), "tokens",
                         f->word.tokens.size);
}

static PyMethodDef feat_methods[] = {
    {"transform", (PyCFunction)feat_transform, METH_VARARGS,
     "transform(texts, mask_entities, fallback, char_weight) -> (data, indices, indptr, "
     "n_fallback): the word + char TF-IDF rows as CSR buffers (float32, int32, int64)."},
    {"cache_info", (PyCFunction)feat_cache_info, METH_NOARGS,
     "Sizes of the per-unit cache and of the token table."},
    {NULL, NULL, 0, NULL}};

static PyTypeObject FeaturizerType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "nlp_contact._fastfeat.Featurizer",
    .tp_basicsize = sizeof(Featurizer),
    .tp_dealloc = (destructor)feat_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Fitted word + char n-gram vocabularies and idf weights, for transform().",
    .tp_methods = feat_methods,
    .tp_init = (initproc)feat_init,
    .tp_new = PyType_GenericNew,
};

/* ===================================================================== module */

/* State of the module-level normalise(): its scratch buffers. */
static Norm NORM;

static PyObject *py_normalise(PyObject *self, PyObject *args) {
    PyObject *text;
    int mask = 1;
    (void)self;
    if (!PyArg_ParseTuple(args, "U|p", &text, &mask))
        return NULL;
    if (read_str(text, &NORM.text) < 0)
        return NULL;
    int done = normalise_buf(&NORM, mask);
    if (done < 0)
        return NULL;
    if (done == 0)
        Py_RETURN_NONE;
    return PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, NORM.text.p, NORM.text.n);
}

static PyObject *py_normalise_many(PyObject *self, PyObject *args) {
    PyObject *texts, *fallback;
    int mask;
    (void)self;
    if (!PyArg_ParseTuple(args, "OpO", &texts, &mask, &fallback))
        return NULL;
    PyObject *seq = PySequence_Fast(texts, "texts must be a sequence");
    if (seq == NULL)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject *out = PyList_New(n);
    for (Py_ssize_t i = 0; out && i < n; i++) {
        PyObject *text = PySequence_Fast_GET_ITEM(seq, i), *res = NULL;
        int done = 0;
        if (PyUnicode_CheckExact(text)) {
            if (read_str(text, &NORM.text) < 0 ||
                (done = normalise_buf(&NORM, mask)) < 0) {
                Py_CLEAR(out);
                break;
            }
        }
        if (done)
            res = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, NORM.text.p, NORM.text.n);
        else
            res = PyObject_CallFunction(fallback, "OO", text, mask ? Py_True : Py_False);
        if (res == NULL) {
            Py_CLEAR(out);
            break;
        }
        PyList_SET_ITEM(out, i, res);
    }
    Py_DECREF(seq);
    return out;
}

static PyMethodDef module_methods[] = {
    {"normalise", py_normalise, METH_VARARGS,
     "normalise(text, mask_entities=True) -> str, or None when the text has characters "
     "only the Python normaliser handles exactly."},
    {"normalise_many", py_normalise_many, METH_VARARGS,
     "normalise_many(texts, mask_entities, fallback) -> list of str; fallback(text, "
     "mask_entities) normalises the texts declined in C."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "_fastfeat",
    "Exact C implementations of nlp_contact.features.normalise and the word + char "
    "TF-IDF blocks.",
    -1, module_methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__fastfeat(void) {
    init_ascii_classes();
    init_passes();
    if (PyType_Ready(&FeaturizerType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&moduledef);
    if (m == NULL)
        return NULL;
    Py_INCREF(&FeaturizerType);
    if (PyModule_AddObject(m, "Featurizer", (PyObject *)&FeaturizerType) < 0 ||
        PyModule_AddIntConstant(m, "TF_TABLE", TF_TABLE) < 0) {
        Py_DECREF(&FeaturizerType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
