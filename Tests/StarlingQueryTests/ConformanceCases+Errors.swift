// Conformance cases, part 2: errors (with positions and suggestions), visibility, DML, EXPLAIN
// and forced scans. The fixture is described in ConformanceCases.swift.

let errorAndDMLCases = """
    # ---- errors: syntax ----
    SELECT * FORM player
    !!= syntax error at 1:10: expected FROM, found "FORM"

    SELECT name FROM player WHERE
    !!= syntax error at 1:30: expected a column or a value, found end of input

    SELECT name FROM player WHERE id =
    !! syntax error at 1:35: expected a column or a value, found end of input

    SELECT name
    FROM player
    WHERE id = = 1
    !!= syntax error at 3:12: expected a column or a value, found "="

    SELECT name FROM player WHERE name = 'abc
    !!= syntax error at 1:38: unterminated string literal

    SELECT name FROM player LIMIT -1
    !! syntax error at 1:31: expected a non-negative integer after LIMIT, found "-"

    SELECT name FROM player ORDER score
    !! syntax error at 1:31: expected BY, found "score"

    SELECT FROM player
    !! syntax error at 1:8: expected a column name, found keyword FROM

    SELECT name FROM player WHERE id = 1 extra
    !!= syntax error at 1:38: expected ";" or end of input, found "extra"

    SELECT name FROM player WHERE id # 1
    !!= syntax error at 1:34: unexpected character "#"

    SELECT COUNT(name) FROM player
    !! syntax error at 1:14: expected "*" in COUNT(*)

    UPDATE player name = 'x'
    !! syntax error at 1:15: expected SET, found "name"

    SELECT name FROM player WHERE id = 12abc
    !!= syntax error at 1:36: invalid number "12abc"

    SELECT * FROM guild WHERE name = 'é' AN id = 1
    !!= syntax error at 1:38: expected ";" or end of input, found "AN"

    SELECT select FROM player
    !! expected a column name, found keyword SELECT (write "select" to use it as a name)

    DROP TABLE player
    !!= syntax error at 1:1: expected SELECT, INSERT, UPDATE, DELETE or EXPLAIN, found "DROP"

    SELECT name FROM player WHERE id = 0xZZ
    !! syntax error at 1:36: invalid hex literal "0xZZ"

    SELECT name FROM player WHERE owner = X'0g'
    !! syntax error at 1:39: invalid hex literal

    SELECT "" FROM player
    !! syntax error at 1:8: a quoted identifier cannot be empty

    SELECT name FROM player WHERE id IN (1, 2)
    !! syntax error at 1:34: expected ";" or end of input, found "IN"

    INSERT INTO guild (id, name VALUES (1, 'x')
    !! syntax error at 1:29: expected ")", found "VALUES"

    SELECT name FROM player; SELEC name FROM player
    !! syntax error at 1:26: expected SELECT, INSERT, UPDATE, DELETE or EXPLAIN, found "SELEC"

    EXPLAIN DELETE FROM player
    !! syntax error at 1:9: expected SELECT after EXPLAIN, found "DELETE"

    SELECT name FROM player WHERE level IS 5
    !! expected NULL or NOT NULL after IS, found "5"

    # ---- errors: names ----
    SELECT * FROM playr
    !!= error at 1:15: table `playr` not found; did you mean `player`?

    SELECT scroe FROM player
    !!= error at 1:8: column `scroe` not found in table `player`; did you mean `score`?

    SELECT * FROM player WHERE lvl = 3
    !!= error at 1:28: column `lvl` not found in table `player`

    SELECT * FROM Player
    !! table `Player` not found; did you mean `player`?

    SELECT id FROM player p JOIN guild g ON g.id = p.guild_id
    !!= error at 1:8: column `id` is ambiguous: `p` and `g` both have it; write `p.id` or `g.id`

    SELECT p.name FROM player p JOIN guild g ON g.id = p.guild_id WHERE name = 'ann'
    !! column `name` is ambiguous

    SELECT player.name FROM player p
    !! table `player` is called `p` in this query; write `p.name`

    SELECT x.name FROM player p
    !! error at 1:8: table or alias `x` not found in this query

    SELECT p.nme FROM player p
    !! error at 1:10: column `nme` not found in table `player`; did you mean `name`?

    SELECT q.* FROM player p
    !! table or alias `q` not found in this query; did you mean `p`?

    SELECT * FROM player JOIN player ON player.id = player.id
    !! table name `player` appears twice in this query; give one an alias

    SELECT p.name FROM player p JOIN item i ON i.owner_id = g.id JOIN guild g ON g.id = p.guild_id
    !! error at 1:57: table or alias `g` not found in this query

    SELECT p.name FROM player p JOIN item i ON i.owner_id = p.id WHERE i.colour = 'red'
    !! column `colour` not found in table `item`

    SELECT colour FROM player p JOIN item i ON i.owner_id = p.id
    !! column `colour` not found in tables `player`, `item`

    SELECT name FROM player ORDER BY nmae
    !! column `nmae` not found in table `player`; did you mean `name`?

    SELECT name FROM player WHERE tiny = 1
    !! column `tiny` not found in table `player`

    # ---- errors: types ----
    SELECT * FROM player WHERE level = 300
    !!= error at 1:36: cannot compare column `level` (u8) with 300: 300 is out of range for u8 (0...255)

    SELECT * FROM player WHERE level = 'ten'
    !! cannot compare column `level` (u8) with 'ten': u8 needs an integer, found a string

    SELECT * FROM player WHERE level = -1
    !! -1 is out of range for u8 (0...255)

    SELECT * FROM player WHERE level < 256
    !! 256 is out of range for u8

    SELECT * FROM item WHERE tiny = 128
    !! 128 is out of range for i8 (-128...127)

    SELECT * FROM player WHERE name = 5
    !! cannot compare column `name` (string) with 5: string needs a string, found an integer

    SELECT * FROM player WHERE level = 1.5
    !! u8 needs an integer, found a float

    SELECT * FROM player WHERE active = 1
    !! bool needs TRUE or FALSE, found an integer

    SELECT * FROM player WHERE owner = 'abc'
    !! identity needs a hex literal (0x... or X'...') or :sender, found a string

    SELECT * FROM player WHERE owner = 0x10000000000000000000000000000000000000000000000000000000000000000
    !! has 65 hex digits; identity takes at most 64

    SELECT * FROM player WHERE score
    !! column `score` (i32) is not a condition; compare it with a value

    SELECT * FROM player WHERE nick = NULL
    !! a comparison with NULL is never true; use `IS NULL` or `IS NOT NULL`

    SELECT * FROM player WHERE level IS NULL
    !! column `level` (u8) is not an option, so IS NULL is constant

    SELECT * FROM player WHERE name = level
    !!= error at 1:33: cannot compare column `name` (string) with column `level` (u8)

    SELECT * FROM player WHERE owner < 5
    !! identity needs a hex literal (0x... or X'...') or :sender, found an integer

    SELECT * FROM player WHERE id = :nobody
    !! unknown parameter `:nobody`; the only parameter is `:sender`

    SELECT * FROM player WHERE name = :sender
    !! string needs a string, found a parameter

    SELECT COUNT(*) FROM player ORDER BY name
    !! ORDER BY cannot be used with COUNT(*)

    SELECT * FROM guild WHERE founded = 'x'
    !! timestamp needs an integer (microseconds since the Unix epoch), found a string

    SELECT * FROM item WHERE big = 340282366920938463463374607431768211456
    !! 340282366920938463463374607431768211456 is out of range for u128

    SELECT * FROM player WHERE rating = 1e999
    !! 1e999 is out of range for f64

    SELECT * FROM item WHERE tag = X'abc'
    !! bytes need an even number of hex digits, found 3

    SELECT * FROM player WHERE 'a' = 1
    !! cannot compare 'a' (string) with 1 (i128)

    SELECT * FROM player WHERE NOT score
    !! is not a condition

    # ---- visibility ----
    @client
    SELECT * FROM secret
    !!= error at 1:15: table `secret` not found

    @client
    SELECT * FROM secre
    !!= error at 1:15: table `secre` not found

    SELECT * FROM secre
    !! table `secre` not found; did you mean `secret`?

    SELECT note FROM secret ORDER BY id
    => [["the cake"],["is a lie"]]

    @client
    SELECT s.note FROM player p JOIN secret s ON s.id = p.id
    !! table `secret` not found

    @client
    SELECT table_name FROM st_table WHERE table_name = 'player'
    => [["player"]]

    @client
    SELECT COUNT(*) FROM player
    => [[6]]

    @client
    INSERT INTO guild (id, name, region, founded) VALUES (9, 'x', 'y', 0)
    !! only the database owner may run INSERT/UPDATE/DELETE

    @client
    UPDATE guild SET name = 'x'
    !! only the database owner may run INSERT/UPDATE/DELETE

    @client
    DELETE FROM guild
    !!= error at 1:13: only the database owner may run INSERT/UPDATE/DELETE

    @client
    DELETE FROM secret
    !! only the database owner may run INSERT/UPDATE/DELETE

    INSERT INTO st_table (table_id) VALUES (1)
    !! system table `st_table` cannot be written by INSERT

    DELETE FROM st_column
    !! system table `st_column` cannot be written by DELETE

    @readonly
    DELETE FROM guild
    !! DELETE needs a write transaction; this query runs read-only

    @readonly
    SELECT COUNT(*) FROM guild
    => [[4]]

    @readonly
    @client
    SELECT name FROM player WHERE owner = :sender ORDER BY name
    => [["bob"],["eve"]]

    # ---- DML ----
    INSERT INTO guild (id, name, region, founded) VALUES (5, 'gold', 'us', 5000000)
    => affected 1

    INSERT INTO guild VALUES (5, 'gold', 'us', 5000000), (6, 'iron', 'eu', 6); SELECT name, founded FROM guild WHERE id >= 5 ORDER BY id
    => [["gold",5000000],["iron",6]]

    INSERT INTO guild VALUES (5, 'gold', 'us', 5000000), (6, 'iron', 'eu', 6)
    => affected 2

    INSERT INTO guild (name, region, founded, id) VALUES ('gold', 'us', 5, 5); SELECT * FROM guild WHERE name = 'gold'
    => [[5,"gold","us",5]]

    INSERT INTO player (name, guild_id, level, score, rating, active, owner) VALUES ('gus', 4, 1, 0, 0.5, TRUE, :sender); SELECT id, name, nick, owner FROM player WHERE name = 'gus'
    => [[7,"gus",null,$A]]

    INSERT INTO player VALUES (0, 'hal', 4, 1, 0, 0.5, TRUE, 0x01, 'h'); SELECT id, nick FROM player WHERE name = 'hal'
    => [[7,"h"]]

    INSERT INTO player (name, guild_id, level, score, rating, active, owner) VALUES ('ann', 1, 1, 1, 1.0, TRUE, 0x01)
    !! duplicate key in unique index `player_name_idx_btree` of table `player`

    INSERT INTO guild VALUES (1, 'dup', 'eu', 0)
    !! duplicate key in unique index `guild_id_idx_btree` of table `guild`

    INSERT INTO guild (id, name) VALUES (7, 'x')
    !! INSERT into `guild` needs a value for column `region` (string)

    INSERT INTO guild (id, name, region, founded) VALUES (7, 'x', 'y')
    !!= error at 1:54: INSERT into `guild` lists 4 columns but this row has 3 values

    INSERT INTO guild VALUES ('7', 'x', 'y', 0)
    !!= error at 1:27: cannot insert '7' into column `id` (u32): u32 needs an integer, found a string

    INSERT INTO guild (id, nmae, region, founded) VALUES (7, 'x', 'y', 0)
    !! column `nmae` not found in table `guild`; did you mean `name`?

    INSERT INTO guild (id, id) VALUES (1, 2)
    !! column `id` is listed twice

    INSERT INTO gild VALUES (1)
    !! table `gild` not found; did you mean `guild`?

    INSERT INTO player VALUES (0, 'ivy', 1, 1, 1, 1.0, TRUE, 0x01, NULL); SELECT nick FROM player WHERE name = 'ivy'
    => [[null]]

    INSERT INTO guild VALUES (8, NULL, 'x', 0)
    !! cannot insert NULL into column `name` (string): string needs a string, found NULL

    INSERT INTO guild VALUES (7, 'café ☕', 'eu', 0); SELECT name FROM guild WHERE name = 'café ☕'
    => [["café ☕"]]

    INSERT INTO guild (id, name, region, founded) VALUES (7, 'x', 'y', -5); SELECT founded FROM guild WHERE id = 7
    => [[-5]]

    INSERT INTO item (owner_id, kind, weight, value, qty, tiny, big, delta, tag) VALUES (1, 'gem', 0.1, 5, 1, 0, 0, 0, X''), (2, 'gem', 0.1, 5, 1, 0, 0, 0, X'00'); SELECT item_id, owner_id, tag FROM item WHERE kind = 'gem' ORDER BY item_id
    => [[8,1,""],[9,2,"00"]]

    INSERT INTO item (owner_id, kind, weight, value, qty, tiny, big, delta, tag) VALUES (1, 'gem', 1e40, 5, 1, 0, 0, 0, X'')
    !! 1e40 is out of range for f32

    INSERT INTO player (name, guild_id, level, score, rating, active, owner) VALUES ('o''neil', 1, 1, 1, 1.0, TRUE, 0x01); SELECT id, name FROM player WHERE name = 'o''neil'
    => [[7,"o'neil"]]

    INSERT INTO guild VALUES (7, 'x', 'y', 0); SELECT COUNT(*) FROM guild
    => [[5]]

    UPDATE player SET score = 999 WHERE name = 'bob'
    => affected 1

    UPDATE player SET score = 999 WHERE name = 'bob'; SELECT score FROM player WHERE name = 'bob'
    => [[999]]

    UPDATE player SET level = 11 WHERE level = 10; SELECT name FROM player WHERE level = 11 ORDER BY name
    => [["ann"],["cat"]]

    UPDATE player SET level = 11 WHERE level = 10; SELECT COUNT(*) FROM player WHERE level = 10
    => [[0]]

    UPDATE player SET active = FALSE; SELECT COUNT(*) FROM player WHERE active
    => [[0]]

    UPDATE item SET qty = 0
    => affected 7

    UPDATE item SET qty = 3, tiny = -3 WHERE kind = 'potion'; SELECT item_id, qty, tiny FROM item WHERE kind = 'potion' ORDER BY item_id
    => [[4,3,-3],[5,3,-3]]

    UPDATE player SET name = 'ann' WHERE id = 2
    !! duplicate key in unique index `player_name_idx_btree`

    UPDATE player SET nick = NULL WHERE id = 1; SELECT COUNT(*) FROM player WHERE nick IS NULL
    => [[4]]

    UPDATE player SET nick = 'bobby' WHERE name = 'bob'; SELECT nick FROM player WHERE id = 2
    => [["bobby"]]

    UPDATE player SET scroe = 1
    !! column `scroe` not found in table `player`; did you mean `score`?

    UPDATE player SET level = 256
    !! cannot set column `level` (u8) to 256: 256 is out of range for u8 (0...255)

    UPDATE player SET level = 1, level = 2
    !! column `level` is set twice

    UPDATE guild SET id = 10 WHERE id = 4; SELECT id, name FROM guild WHERE id > 3
    => [[10,"empty"]]

    UPDATE player SET score = 1 WHERE id = 100
    => affected 0

    UPDATE player SET owner = :sender WHERE id = 6; SELECT name FROM player WHERE owner = :sender ORDER BY name
    => [["ann"],["cat"],["fay"]]

    UPDATE player SET guild_id = 4 WHERE guild_id = 1 AND level >= 15; SELECT name FROM player WHERE guild_id = 4
    => [["bob"]]

    UPDATE player SET score = 1 WHERE scroe = 2
    !! column `scroe` not found in table `player`; did you mean `score`?

    DELETE FROM item WHERE kind = 'potion'
    => affected 2

    DELETE FROM item WHERE kind = 'potion'; SELECT COUNT(*) FROM item
    => [[5]]

    DELETE FROM item; SELECT COUNT(*) FROM item
    => [[0]]

    DELETE FROM item WHERE item_id = 100
    => affected 0

    DELETE FROM player WHERE level >= 20; SELECT name FROM player ORDER BY name
    => [["ann"],["cat"],["fay"]]

    DELETE FROM player WHERE name = 'ann'; SELECT COUNT(*) FROM player p JOIN item i ON i.owner_id = p.id
    => [[4]]

    DELETE FROM player WHERE nick IS NULL OR score > 200; SELECT name FROM player ORDER BY name
    => [["ann"],["eve"]]

    DELETE FROM player WHERE level = 'x'
    !! cannot compare column `level` (u8) with 'x'

    DELETE FROM secret WHERE id = 1; SELECT note FROM secret
    => [["is a lie"]]

    INSERT INTO guild VALUES (7, 'x', 'y', 0); UPDATE guild SET name = 'z' WHERE id = 7; DELETE FROM guild WHERE id = 1; SELECT id, name FROM guild ORDER BY id
    => [[2,"blue"],[3,"green"],[4,"empty"],[7,"z"]]

    # ---- EXPLAIN ----
    EXPLAIN SELECT name FROM player WHERE id = 1
    :: plan string
    => [["Project: name"],["  Index Seek player USING player_id_idx_btree (id = 1)"]]

    EXPLAIN SELECT name FROM player WHERE score > 1
    => [["Project: name"],["  Filter: score > 1"],["    Scan player"]]

    EXPLAIN SELECT COUNT(*) FROM guild WHERE region = 'eu'
    => [["Count AS count"],["  Index Seek guild USING guild_region (region = 'eu')"]]

    @noindex
    EXPLAIN SELECT name FROM player WHERE id = 1
    => [["Project: name"],["  Filter: id = 1"],["    Scan player"]]

    # ---- the same queries with the planner forced to scan ----
    @noindex
    SELECT name FROM player WHERE level = 10 ORDER BY name
    => [["ann"],["cat"]]

    @noindex
    SELECT p.name, i.kind, g.name FROM player p JOIN item i ON i.owner_id = p.id JOIN guild g ON g.id = p.guild_id ORDER BY i.item_id
    => [["ann","sword","red"],["ann","shield","red"],["bob","sword","red"],["cat","potion","blue"],["cat","potion","blue"],["eve","bow","green"]]

    @noindex
    SELECT name FROM player WHERE guild_id = 1 AND level >= 15
    => [["bob"]]

    @noindex
    UPDATE player SET level = 11 WHERE level = 10; SELECT name FROM player WHERE level = 11 ORDER BY name
    => [["ann"],["cat"]]
    """
