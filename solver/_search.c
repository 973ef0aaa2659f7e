/* The solver's negamax, compiled: solver/search.py's Search in C.
 *
 * search.py is the reference and says why each step is there; this file
 * runs the same steps in the same order, so that on the same position, with
 * an empty table, it gives the same score after searching the same positions
 * (tests/test_solver.py checks both). The step numbers are search.py's.
 *
 * Two types:
 *
 * - Table: step 6's transposition table, with TranspositionTable's methods
 *   (get, put, clear, size, used). Its slots are a C array, not Python
 *   lists: the search reads them without touching a Python object, and a
 *   slot takes 8 bytes instead of about 50. Python's lists are what CPython
 *   reads fastest, a C array what C does: each search has a table of its
 *   own, and Solver pairs them (search.py, "Step 13").
 * - Search: the negamax over one Table and the opening book, called like
 *   search.py's Search, with its `searched()`. It reads the book's two
 *   arrays (OpeningBook.codes and .values) through the buffer protocol, in
 *   place: nothing is copied.
 *
 * The search holds the GIL: a Solver's table is not made for two searches
 * at once, and a search takes a fraction of a second.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#define WIDTH 7
#define HEIGHT 6
#define CELLS (WIDTH * HEIGHT)
#define STRIDE (HEIGHT + 1)
#define MIN_SCORE (-((CELLS + 1) / 2 - 3))
#define BOOK_CHECKERS 12

/* Step 1: the bitboard layout of search.py. */
#define BOTTOM UINT64_C(0x40810204081) /* bit c * 7 of each column c */
#define BOARD (BOTTOM * ((1 << HEIGHT) - 1))
#define COLUMN_CELLS ((UINT64_C(1) << HEIGHT) - 1)

/* Step 8: what a table entry's score is. */
#define UPPER 1
#define LOWER 2
#define EXACT 3

/* Step 4 and 7: COLUMN_ORDER, centre first, and each column's centrality,
 * WIDTH minus its rank in that order. */
static const int COLUMN_ORDER[WIDTH] = {3, 2, 4, 1, 5, 0, 6};


/* Step 6: the transposition table. Each slot packs an entry into 64 bits,
 * so that a probe reads one cache line, not one for the key and another for
 * the bound: the position's key in the low 49 bits (current + mask < 2^49),
 * the kind in the next 2 and the score plus 32 in the 6 above. An empty slot
 * is 0: its kind is 0, which no entry has, so it matches no key. */

#define KEY_BITS 49
#define KEY_MASK ((UINT64_C(1) << KEY_BITS) - 1)
#define SCORE_OFFSET 32

typedef struct {
    PyObject_HEAD
    Py_ssize_t size;
    uint64_t *slots;
} Table;

static inline uint64_t
entry(uint64_t key, int kind, int score)
{
    return key | (uint64_t)kind << KEY_BITS | (uint64_t)(score + SCORE_OFFSET) << (KEY_BITS + 2);
}

static inline int
entry_kind(uint64_t slot)
{
    return (int)(slot >> KEY_BITS & 3);
}

static inline int
entry_score(uint64_t slot)
{
    return (int)(slot >> (KEY_BITS + 2)) - SCORE_OFFSET;
}

/* Tell whether a slot holds an entry for key. */
static inline int
holds(uint64_t slot, uint64_t key)
{
    return (slot & KEY_MASK) == key && entry_kind(slot);
}

static int
Table_init(Table *self, PyObject *args, PyObject *kwargs)
{
    static char *names[] = {"size", NULL};
    Py_ssize_t size;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "n:Table", names, &size)) {
        return -1;
    }
    if (self->slots != NULL) {
        /* A Search may be reading it: its slots stay where they are. */
        PyErr_SetString(PyExc_TypeError, "a Table is initialised once");
        return -1;
    }
    if (size < 1) {
        PyErr_SetString(PyExc_ValueError, "a table needs at least one slot");
        return -1;
    }
    self->slots = PyMem_Calloc((size_t)size, sizeof(uint64_t));
    if (self->slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    self->size = size;
    return 0;
}

static void
Table_dealloc(Table *self)
{
    PyMem_Free(self->slots);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Read a key given from Python: 0, or -1 with an exception set. */
static int
table_key(Table *self, PyObject *key_object, uint64_t *key)
{
    if (self->slots == NULL) {
        PyErr_SetString(PyExc_ValueError, "the table isn't initialised");
        return -1;
    }
    *key = PyLong_AsUnsignedLongLong(key_object);
    if (*key == (uint64_t)-1 && PyErr_Occurred()) {
        return -1;
    }
    return 0;
}

static PyObject *
Table_get(Table *self, PyObject *key_object)
{
    uint64_t key;
    if (table_key(self, key_object, &key) < 0) {
        return NULL;
    }
    uint64_t slot = self->slots[key % (uint64_t)self->size];
    if (!holds(slot, key)) {
        Py_RETURN_NONE;
    }
    return Py_BuildValue("(ii)", entry_kind(slot), entry_score(slot));
}

static PyObject *
Table_put(Table *self, PyObject *args)
{
    PyObject *key_object;
    int kind, score;
    uint64_t key;
    if (!PyArg_ParseTuple(args, "Oii:put", &key_object, &kind, &score)
        || table_key(self, key_object, &key) < 0) {
        return NULL;
    }
    if (key > KEY_MASK || kind < UPPER || kind > EXACT || score < -SCORE_OFFSET || score >= SCORE_OFFSET) {
        PyErr_SetString(PyExc_ValueError, "not a position's key, a kind (1, 2 or 3) and a score");
        return NULL;
    }
    self->slots[key % (uint64_t)self->size] = entry(key, kind, score);
    Py_RETURN_NONE;
}

static PyObject *
Table_clear(Table *self, PyObject *Py_UNUSED(ignored))
{
    if (self->slots != NULL) {
        memset(self->slots, 0, (size_t)self->size * sizeof(uint64_t));
    }
    Py_RETURN_NONE;
}

static PyObject *
Table_used(Table *self, void *Py_UNUSED(closure))
{
    Py_ssize_t used = 0;
    for (Py_ssize_t slot = 0; slot < self->size; slot++) {
        used += entry_kind(self->slots[slot]) != 0;
    }
    return PyLong_FromSsize_t(used);
}

static PyObject *
Table_get_size(Table *self, void *Py_UNUSED(closure))
{
    return PyLong_FromSsize_t(self->size);
}

static PyMethodDef Table_methods[] = {
    {"get", (PyCFunction)Table_get, METH_O, "The bound stored for key, as (kind, score), or None."},
    {"put", (PyCFunction)Table_put, METH_VARARGS, "Remember a bound on the score of key's position."},
    {"clear", (PyCFunction)Table_clear, METH_NOARGS, "Forget every entry."},
    {NULL},
};

static PyGetSetDef Table_getset[] = {
    {"size", (getter)Table_get_size, NULL, "How many slots the table has.", NULL},
    {"used", (getter)Table_used, NULL, "How many slots hold an entry.", NULL},
    {NULL},
};

static PyTypeObject TableType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "solver._search.Table",
    .tp_doc = PyDoc_STR("A fixed-size table of score bounds by position key, the newest entry winning a slot."),
    .tp_basicsize = sizeof(Table),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Table_init,
    .tp_dealloc = (destructor)Table_dealloc,
    .tp_methods = Table_methods,
    .tp_getset = Table_getset,
};


/* The search. */

typedef struct {
    PyObject_HEAD
    Table *table;
    Py_buffer codes;  /* the book's sorted codes, int32; buf NULL without a book */
    Py_buffer values; /* and their distances, int8 */
    Py_ssize_t book_size;
    long long nodes, limit;
    int exceeded; /* set once nodes passes limit: every caller returns at once */
    PyObject *budget_error;
} Search;

/* Step 7: the cells that would complete a line of four of these checkers:
 * search.py's _open_lines. Bits shifted past 64 are past the board anyway. */
static inline uint64_t
open_lines(uint64_t checkers)
{
    uint64_t cells = (checkers << 1) & (checkers << 2) & (checkers << 3);
    uint64_t left = checkers << 7, right = checkers >> 7;
    cells |= left & (checkers << 14) & ((checkers << 21) | right);
    cells |= right & (checkers >> 14) & ((checkers >> 21) | left);
    left = checkers << 6, right = checkers >> 6;
    cells |= left & (checkers << 12) & ((checkers << 18) | right);
    cells |= right & (checkers >> 12) & ((checkers >> 18) | left);
    left = checkers << 8, right = checkers >> 8;
    cells |= left & (checkers << 16) & ((checkers << 24) | right);
    cells |= right & (checkers >> 16) & ((checkers >> 24) | left);
    return cells;
}

/* Step 9: a column's part of a book code, and its length in bits, by the
 * column's key (OpeningBook's _COLUMN_CODES); filled in at import. */
static uint32_t column_codes[1 << STRIDE];
static int column_lengths[1 << STRIDE];

static void
make_column_codes(void)
{
    for (int column_key = 1; column_key < 1 << STRIDE; column_key++) {
        int height = 0;
        while (column_key >> (height + 1)) {
            height++;
        }
        uint32_t code = 0;
        for (int row = 0; row < height; row++) {
            code = code << 2 | (column_key >> row & 1 ? 2 : 3);
        }
        column_codes[column_key] = code << 1;
        column_lengths[column_key] = 2 * height + 1;
    }
}

/* x // 2 as Python computes it, rounding down. */
static inline int
floor_half(int x)
{
    return x >= 0 ? x / 2 : -((1 - x) / 2);
}

/* Step 9: OpeningBook.score. Set *found to 0 if the book lacks the position. */
static int
book_score(Search *self, uint64_t current, uint64_t mask, int *found)
{
    uint64_t key = current + mask + BOTTOM;
    uint32_t code = 0, mirrored = 0;
    int length = 0;
    for (int column = 0; column < WIDTH; column++) {
        int column_key = (int)(key >> column * STRIDE & ((1 << STRIDE) - 1));
        code = code << column_lengths[column_key] | column_codes[column_key];
        mirrored |= column_codes[column_key] << length;
        length += column_lengths[column_key];
    }
    const int32_t *codes = self->codes.buf;
    const int8_t *values = self->values.buf;
    uint32_t candidates[2] = {code << 1, mirrored << 1};
    for (int i = 0; i < 2; i++) {
        int32_t wanted = (int32_t)candidates[i];
        Py_ssize_t low = 0, high = self->book_size; /* bisect_left */
        while (low < high) {
            Py_ssize_t middle = low + (high - low) / 2;
            if (codes[middle] < wanted) {
                low = middle + 1;
            }
            else {
                high = middle;
            }
        }
        if (low < self->book_size && codes[low] == wanted) {
            int distance = values[low];
            *found = 1;
            if (distance > 0) {
                return floor_half(distance - 69);
            }
            if (distance < 0) {
                return floor_half(distance + 68);
            }
            return 0;
        }
    }
    *found = 0;
    return 0;
}

#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(address) __builtin_prefetch(address)
#else
#define PREFETCH(address) ((void)(address))
#endif

/* How many cells a set holds. The sets counted, the threats a move makes,
 * hold a few cells: a loop over them beats a portable popcount, which is
 * a library call without -mpopcnt. */
static inline int
count_cells(uint64_t cells)
{
    int count = 0;
    for (; cells; cells &= cells - 1) {
        count++;
    }
    return count;
}

typedef struct {
    int order; /* threats made << 3 | centrality: higher goes first */
    uint64_t move, made;
    uint64_t *child_slot; /* the table slot of the move's position, for step 12 */
} Candidate;

/* search.py's negamax, step by step; see there for why. */
static int
negamax(Search *self, uint64_t current, uint64_t mask, int moves, int alpha, int beta, uint64_t threats)
{
    if (++self->nodes > self->limit) {
        self->exceeded = 1;
        return 0;
    }

    /* Step 5: anticipate losses. */
    uint64_t possible = (mask + BOTTOM) & BOARD;
    uint64_t forced = possible & threats;
    if (forced) {
        if (forced & (forced - 1)) {
            return -((CELLS - moves) / 2);
        }
        possible = forced;
    }
    possible &= ~(threats >> 1);
    if (!possible) {
        return -((CELLS - moves) / 2);
    }
    if (moves >= CELLS - 2) {
        return 0;
    }

    /* Step 2: alpha-beta, the window narrowed to the possible scores. */
    int lowest = -((CELLS - 2 - moves) / 2);
    if (alpha < lowest) {
        alpha = lowest;
        if (alpha >= beta) {
            return alpha;
        }
    }
    int highest = (CELLS - 1 - moves) / 2;
    if (beta > highest) {
        beta = highest;
        if (alpha >= beta) {
            return beta;
        }
    }

    /* Step 8: the table's bounds narrow it too. */
    Table *table = self->table;
    uint64_t size = (uint64_t)table->size;
    uint64_t key = current + mask;
    uint64_t *slot = &table->slots[key % size];
    if (holds(*slot, key)) {
        int kind = entry_kind(*slot), score = entry_score(*slot);
        if (kind & UPPER && score < beta) {
            beta = score;
            if (alpha >= beta) {
                return beta;
            }
        }
        if (kind & LOWER && score > alpha) {
            alpha = score;
            if (alpha >= beta) {
                return alpha;
            }
        }
    }

    /* Step 9: the book's exact score, kept in the table too. */
    if (moves == BOOK_CHECKERS && self->book_size) {
        int found;
        int score = book_score(self, current, mask, &found);
        if (found) {
            *slot = entry(key, EXACT, score);
            return score;
        }
    }

    /* Step 7: the moves that make the most threats first, ties to the
     * more central (step 4); sorted by insertion, the keys being distinct. */
    uint64_t free_cells = BOARD ^ mask;
    uint64_t opponent = current ^ mask;
    Candidate candidates[WIDTH];
    int count = 0;
    if (!(possible & (possible - 1))) {
        candidates[count++] = (Candidate){0, possible, open_lines(current | possible) & free_cells, NULL};
    }
    else {
        /* Step 12 reads each move's slot in the table, mostly a cache miss:
         * asked for now, the misses overlap with each other and with the
         * ordering. */
        uint64_t *child_slots[WIDTH];
        for (int rank = 0; rank < WIDTH; rank++) {
            uint64_t move = possible & COLUMN_CELLS << COLUMN_ORDER[rank] * STRIDE;
            child_slots[rank] = move ? &table->slots[(opponent + (mask | move)) % size] : NULL;
            if (move) {
                PREFETCH(child_slots[rank]);
            }
        }
        for (int rank = 0; rank < WIDTH; rank++) {
            uint64_t move = possible & COLUMN_CELLS << COLUMN_ORDER[rank] * STRIDE;
            if (!move) {
                continue;
            }
            uint64_t made = open_lines(current | move) & free_cells;
            Candidate candidate = {count_cells(made) << 3 | (WIDTH - rank), move, made, child_slots[rank]};
            int at = count++;
            while (at > 0 && candidates[at - 1].order < candidate.order) {
                candidates[at] = candidates[at - 1];
                at--;
            }
            candidates[at] = candidate;
        }
    }

    /* Step 12: enhanced transposition cutoffs, where there are 2 moves or more. */
    if (count > 1) {
        for (int i = 0; i < count; i++) {
            uint64_t child = opponent + (mask | candidates[i].move);
            uint64_t child_slot = *candidates[i].child_slot;
            if (entry_kind(child_slot) & UPPER && holds(child_slot, child)) {
                int score = -entry_score(child_slot);
                if (score >= beta) {
                    *slot = entry(key, LOWER, score);
                    return score;
                }
            }
        }
    }
    for (int i = 0; i < count; i++) {
        int score = -negamax(self, opponent, mask | candidates[i].move, moves + 1, -beta, -alpha, candidates[i].made);
        if (self->exceeded) {
            return 0;
        }
        if (score >= beta) {
            *slot = entry(key, LOWER, score);
            return score;
        }
        if (score > alpha) {
            alpha = score;
        }
    }
    *slot = entry(key, UPPER, alpha);
    return alpha;
}

/* Take an array's buffer of items in this struct format, or fail with a TypeError. */
static int
get_book_buffer(PyObject *array, Py_buffer *view, const char *format, Py_ssize_t itemsize, const char *name)
{
    if (PyObject_GetBuffer(array, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        return -1;
    }
    if (view->itemsize != itemsize || view->ndim != 1 || strcmp(view->format, format) != 0) {
        PyErr_Format(PyExc_TypeError, "the book's %s must be an array('%s')", name, format);
        PyBuffer_Release(view);
        view->buf = NULL;
        return -1;
    }
    return 0;
}

static int
Search_init(Search *self, PyObject *args, PyObject *kwargs)
{
    static char *names[] = {"table", "codes", "values", "limit", "budget_error", NULL};
    PyObject *table, *codes, *values, *budget_error;
    long long limit;
    if (self->table != NULL) {
        PyErr_SetString(PyExc_TypeError, "a Search is initialised once");
        return -1;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!OOLO:Search", names, &TableType, &table,
                                     &codes, &values, &limit, &budget_error)) {
        return -1;
    }
    if (((Table *)table)->slots == NULL) {
        PyErr_SetString(PyExc_ValueError, "the table isn't initialised");
        return -1;
    }
    if (codes != Py_None) {
        if (get_book_buffer(codes, &self->codes, "i", 4, "codes") < 0) {
            return -1;
        }
        if (get_book_buffer(values, &self->values, "b", 1, "values") < 0) {
            PyBuffer_Release(&self->codes);
            self->codes.buf = NULL;
            return -1;
        }
        if (self->codes.shape[0] != self->values.shape[0]) {
            PyErr_SetString(PyExc_ValueError, "the book has as many codes as values");
            PyBuffer_Release(&self->codes);
            PyBuffer_Release(&self->values);
            self->codes.buf = self->values.buf = NULL;
            return -1;
        }
        self->book_size = self->codes.shape[0];
    }
    self->limit = limit;
    self->table = (Table *)Py_NewRef(table);
    self->budget_error = Py_NewRef(budget_error);
    return 0;
}

static void
Search_dealloc(Search *self)
{
    if (self->codes.buf != NULL) {
        PyBuffer_Release(&self->codes);
        PyBuffer_Release(&self->values);
    }
    Py_XDECREF(self->table);
    Py_XDECREF(self->budget_error);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* search(current, mask, moves, alpha, beta, threats): the negamax's score. */
static PyObject *
Search_call(Search *self, PyObject *args, PyObject *kwargs)
{
    unsigned long long current, mask, threats;
    int moves, alpha, beta;
    if (self->table == NULL) {
        PyErr_SetString(PyExc_ValueError, "the search isn't initialised");
        return NULL;
    }
    if (kwargs != NULL && PyDict_GET_SIZE(kwargs)) {
        PyErr_SetString(PyExc_TypeError, "a search takes no keyword arguments");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "KKiiiK:search", &current, &mask, &moves, &alpha, &beta, &threats)) {
        return NULL;
    }
    if (moves < 0 || moves > CELLS || mask >> STRIDE * WIDTH || current & ~mask) {
        PyErr_SetString(PyExc_ValueError, "not a position");
        return NULL;
    }
    self->exceeded = 0;
    int score = negamax(self, current, mask, moves, alpha, beta, threats);
    if (self->exceeded) {
        PyErr_Format(self->budget_error, "more than %lld positions searched", self->limit);
        return NULL;
    }
    return PyLong_FromLong(score);
}

static PyObject *
Search_searched(Search *self, PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromLongLong(self->nodes);
}

static PyMethodDef Search_methods[] = {
    {"searched", (PyCFunction)Search_searched, METH_NOARGS, "Positions searched so far."},
    {NULL},
};

static PyTypeObject SearchType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "solver._search.Search",
    .tp_doc = PyDoc_STR("Search(table, codes, values, limit, budget_error): search.py's negamax, compiled."),
    .tp_basicsize = sizeof(Search),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Search_init,
    .tp_dealloc = (destructor)Search_dealloc,
    .tp_call = (ternaryfunc)Search_call,
    .tp_methods = Search_methods,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "solver._search",
    .m_doc = PyDoc_STR("The solver's negamax search, compiled: see solver/search.py."),
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit__search(void)
{
    make_column_codes();
    if (PyType_Ready(&TableType) < 0 || PyType_Ready(&SearchType) < 0) {
        return NULL;
    }
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) {
        return NULL;
    }
    if (PyModule_AddObjectRef(m, "Table", (PyObject *)&TableType) < 0
        || PyModule_AddObjectRef(m, "Search", (PyObject *)&SearchType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
