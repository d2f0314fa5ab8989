/*
** json_dom.cc — json_dom.h over simdjson's DOM parser.
**
** The only C++ in the engine: simdjson is a C++ library. No exception
** leaves this file (simdjson's error codes are used throughout; allocations
** that can throw are caught), and nothing here calls SQLite.
*/
#include "json_dom.h"

#include <simdjson.h>

#include <new>
#include <string>

#define MAX_DEPTH 2048 /* as jansson's parser */

struct ksq_json_dom {
    simdjson::dom::parser parser; /* owns the current document */
    simdjson::dom::element root;  /* the current document */
    simdjson::dom::element found; /* the last value ksq_json_dom_find returned */
    std::string text;             /* ksq_json_dom_text's buffer */
};

extern "C" ksq_json_dom *ksq_json_dom_new(void)
{
    ksq_json_dom *d = new (std::nothrow) ksq_json_dom;
    if (d && d->parser.allocate(4096, MAX_DEPTH) != simdjson::SUCCESS) {
        delete d;
        d = nullptr;
    }
    return d;
}

extern "C" void ksq_json_dom_free(ksq_json_dom *d)
{
    delete d;
}

extern "C" int ksq_json_dom_parse(ksq_json_dom *d, const void *buf, size_t n, const char **pzWhy)
{
    /* The buffer is copied into the parser's padded one (simdjson reads
    ** past the end in whole SIMD words). */
    simdjson::error_code err =
        d->parser.parse(static_cast<const char *>(buf), n, true).get(d->root);
    if (err == simdjson::MEMALLOC) return KSQ_JSON_DOM_NOMEM;
    if (err) {
        *pzWhy = simdjson::error_message(err);
        return KSQ_JSON_DOM_INVALID;
    }
    return KSQ_JSON_DOM_OK;
}

/* The value of the last occurrence of key in object o. */
static bool object_get(simdjson::dom::object o, std::string_view key, simdjson::dom::element *pOut)
{
    bool found = false;
    for (simdjson::dom::key_value_pair kv : o) {
        if (kv.key == key) {
            *pOut = kv.value;
            found = true;
        }
    }
    return found;
}

/* The element at index z (decimal digits only) of array a. */
static bool array_get(simdjson::dom::array a, const char *z, simdjson::dom::element *pOut)
{
    size_t idx = 0;
    if (!*z) return false;
    for (; *z; z++) {
        if (*z < '0' || *z > '9' || idx > (SIZE_MAX - 9) / 10) return false;
        idx = idx * 10 + (size_t)(*z - '0');
    }
    return !a.at(idx).get(*pOut);
}

extern "C" int ksq_json_dom_find(ksq_json_dom *d, const char *const *azPath, int nPath,
                                 ksq_json_val *pVal)
{
    simdjson::dom::element e = d->root;
    for (int s = 0; s < nPath; s++) {
        simdjson::dom::object o;
        simdjson::dom::array a;
        if (!e.get(o)) {
            if (!object_get(o, azPath[s], &e)) return 0;
        } else if (!e.get(a)) {
            if (!array_get(a, azPath[s], &e)) return 0;
        } else {
            return 0;
        }
    }
    d->found = e;
    ksq_json_val v{};
    switch (e.type()) {
    case simdjson::dom::element_type::NULL_VALUE: v.kind = KSQ_JV_NULL; break;
    case simdjson::dom::element_type::BOOL:
        v.kind = e.get_bool().value_unsafe() ? KSQ_JV_TRUE : KSQ_JV_FALSE;
        break;
    case simdjson::dom::element_type::INT64:
        v.kind = KSQ_JV_INT;
        v.i = e.get_int64().value_unsafe();
        break;
    case simdjson::dom::element_type::UINT64:
        v.kind = KSQ_JV_BIGINT;
        v.r = static_cast<double>(e.get_uint64().value_unsafe());
        break;
    case simdjson::dom::element_type::DOUBLE:
        v.kind = KSQ_JV_REAL;
        v.r = e.get_double().value_unsafe();
        break;
    case simdjson::dom::element_type::STRING: {
        std::string_view sv = e.get_string().value_unsafe();
        v.kind = KSQ_JV_STRING;
        v.z = sv.data();
        v.n = sv.size();
        break;
    }
    case simdjson::dom::element_type::ARRAY: v.kind = KSQ_JV_ARRAY; break;
    case simdjson::dom::element_type::OBJECT: v.kind = KSQ_JV_OBJECT; break;
    }
    *pVal = v;
    return 1;
}

extern "C" const char *ksq_json_dom_text(ksq_json_dom *d, size_t *pn)
{
    try {
        d->text = simdjson::to_string(d->found);
    } catch (const std::bad_alloc &) {
        return nullptr;
    }
    *pn = d->text.size();
    return d->text.c_str();
}
