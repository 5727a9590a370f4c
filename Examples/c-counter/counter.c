// A Starling module written in C against docs/module-abi.md alone: no SDK, no libc.
//
//   table counter (id u32 primary key, count u64), public
//   reducer increment(id: u32)   inserts (id, 1) or adds 1 to the row's count
//   reducer fail()               inserts (99, 99), then fails with a message (so nothing commits)
//   reducer init()               lifecycle `init`: inserts (0, 0)

typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long long u64;

#define IMPORT(name) __attribute__((import_module("starling_1.0"), import_name(#name)))
#define EXPORT(name) __attribute__((export_name(#name)))

// Error codes (docs/module-abi.md, "Error codes").
enum { OK = 0, NOT_FOUND = 6, BUFFER_TOO_SMALL = 7, EXHAUSTED = 8 };

IMPORT(table_id_from_name) int table_id_from_name(const u8 *name, u32 len, u32 *out);
IMPORT(index_id_from_name) int index_id_from_name(const u8 *name, u32 len, u32 *out);
IMPORT(index_scan_point) int index_scan_point(u32 index, const u8 *key, u32 len, u32 *out_iter);
IMPORT(row_iter_next) int row_iter_next(u32 iter, u8 *buf, u32 *inout_len);
IMPORT(insert) int insert(u32 table, u8 *row, u32 len);
IMPORT(update_by_index) int update_by_index(u32 index, u8 *row, u32 len);
IMPORT(reducer_args) int reducer_args(u8 *dst);
IMPORT(reducer_error) int reducer_error(const u8 *msg, u32 len);
IMPORT(describe_item) int describe_item(const u8 *item, u32 len);
IMPORT(log) void log_record(u32 level, const u8 *file, u32 file_len, u32 line, const u8 *msg, u32 msg_len);

#define STR(s) (const u8 *)(s), (u32)(sizeof(s) - 1)

// ---- Schema items, hand-encoded BSATN (docs/module-abi.md, "Schema items"; docs/BSATN.md, "Types").

static const u8 counter_table[] = {
    0,                                          // ModuleItem::table
    7, 0, 0, 0, 'c', 'o', 'u', 'n', 't', 'e', 'r',  // name
    2, 0, 0, 0,                                 // 2 columns
    2, 0, 0, 0, 'i', 'd', 10,                   //   id: u32 (type tag 10)
    5, 0, 0, 0, 'c', 'o', 'u', 'n', 't', 12,    //   count: u64 (type tag 12)
    0, 0, 0,                                    // primary_key: some(0)
    0, 0, 0, 0,                                 // indexes: []
    0, 0, 0, 0,                                 // unique: []
    0, 0, 0, 0,                                 // auto_inc: []
    1,                                          // public: true
    1,                                          // schedule: none
};

static const u8 increment_reducer[] = {
    1,                                                   // ModuleItem::reducer
    9, 0, 0, 0, 'i', 'n', 'c', 'r', 'e', 'm', 'e', 'n', 't',  // name
    1, 0, 0, 0,                                          // 1 parameter
    2, 0, 0, 0, 'i', 'd', 10,                            //   id: u32
    0,                                                   // lifecycle: none
};

static const u8 fail_reducer[] = {1, 4, 0, 0, 0, 'f', 'a', 'i', 'l', 0, 0, 0, 0, 0};
static const u8 init_reducer[] = {1, 4, 0, 0, 0, 'i', 'n', 'i', 't', 0, 0, 0, 0, 1};  // lifecycle: init

EXPORT(__starling_describe__counter) void describe_counter(void) { describe_item(counter_table, sizeof counter_table); }
EXPORT(__starling_describe__increment) void describe_increment(void) { describe_item(increment_reducer, sizeof increment_reducer); }
EXPORT(__starling_describe__fail) void describe_fail(void) { describe_item(fail_reducer, sizeof fail_reducer); }
EXPORT(__starling_describe__init) void describe_init(void) { describe_item(init_reducer, sizeof init_reducer); }

// ---- Helpers.

static u8 row[12];  // BSATN of a counter row: u32 id, u64 count (little-endian)

static void put_row(u32 id, u64 count) {
    for (int i = 0; i < 4; i++) row[i] = (u8)(id >> (8 * i));
    for (int i = 0; i < 8; i++) row[4 + i] = (u8)(count >> (8 * i));
}

static int fail_with(const u8 *msg, u32 len) {
    reducer_error(msg, len);
    return 1;
}

static int insert_counter(u32 id, u64 count) {
    u32 table;
    if (table_id_from_name(STR("counter"), &table) != OK) return fail_with(STR("no table `counter`"));
    put_row(id, count);
    if (insert(table, row, sizeof row) != OK) return fail_with(STR("insert into `counter` failed"));
    return 0;
}

// ---- Reducers: (identity limbs, connection id halves, timestamp, args length) -> 0 ok / 1 error.

#define REDUCER(name) \
    EXPORT(__starling_reducer__##name) int name(u64 s0, u64 s1, u64 s2, u64 s3, u64 c0, u64 c1, u64 ts, u32 args_len)

REDUCER(increment) {
    u8 args[4];
    if (args_len != 4 || reducer_args(args) != OK) return fail_with(STR("increment: bad arguments"));
    u32 id = args[0] | args[1] << 8 | args[2] << 16 | (u32)args[3] << 24;
    u32 index, iter, len = sizeof row;
    if (index_id_from_name(STR("counter_id_key"), &index) != OK) return fail_with(STR("no index `counter_id_key`"));
    if (index_scan_point(index, args, 4, &iter) != OK) return fail_with(STR("scan failed"));
    int rc = row_iter_next(iter, row, &len);
    if (rc != OK && rc != EXHAUSTED) return fail_with(STR("row_iter_next failed"));
    if (len == 0) return insert_counter(id, 1);
    u64 count = 0;
    for (int i = 7; i >= 0; i--) count = count << 8 | row[4 + i];
    put_row(id, count + 1);
    if (update_by_index(index, row, sizeof row) != OK) return fail_with(STR("update failed"));
    log_record(3, STR(__FILE__), __LINE__, STR("counter incremented"));
    return 0;
}

REDUCER(fail) {
    int rc = insert_counter(99, 99);  // rolled back with the failed call
    if (rc != 0) return rc;
    return fail_with(STR("fail: this reducer always fails"));
}

REDUCER(init) { return insert_counter(0, 0); }
