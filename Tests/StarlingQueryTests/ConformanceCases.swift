// The conformance cases, run by ConformanceTests against `Fixture` (each on a fresh copy, in a
// transaction rolled back afterwards). Format: see `ConformanceCase.parse`.
//
// player (id, name, guild_id, level, score, rating, active, owner, nick):
//   1 ann 1 10 100 4.5 T A annie | 2 bob 1 20 -5 3.0 F B - | 3 cat 2 10 250 4.9 T A kitty
//   4 dan 2 30 0 2.25 T C -      | 5 eve 3 20 75 5.0 F B eve | 6 fay 3 5 100 1.5 T D -
// guild (id, name, region, founded): 1 red eu 1e6 | 2 blue us 2e6 | 3 green eu 3e6 | 4 empty asia 4e6
// item (item_id, owner_id, kind, weight, value, qty, tiny, big, delta, tag):
//   1 1 sword 3.5 1000 1 -1 0 -5 dead | 2 1 shield 5 500 2 0 u128max 0 - | 3 2 sword 3.5 1200 1 5 1 i128max 01
//   4 3 potion .25 50 10 -128 2 i128min ff00 | 5 3 potion .25 50 5 127 3 7 01 | 6 5 bow 2 800 1 3 4 1 - | 7 9 orphan 1 1 1 0 5 0 0a
// secret (private; id, note, owner): 1 'the cake' A | 2 'is a lie' B

let queryCases = """
    # ---- basic SELECT ----
    SELECT * FROM guild ORDER BY id
    :: id u32, name string, region string, founded timestamp
    => [[1,"red","eu",1000000],[2,"blue","us",2000000],[3,"green","eu",3000000],[4,"empty","asia",4000000]]

    SELECT name FROM player WHERE id = 1
    :: name string
    => [["ann"]]

    select name from player where id = 1
    => [["ann"]]

    SeLeCt name FrOm player WhErE id = 2
    => [["bob"]]

    SELECT "name" FROM "player" WHERE "id" = 3
    => [["cat"]]

    SELECT id, name AS who FROM player WHERE level = 10 ORDER BY id
    :: id u64, who string
    => [[1,"ann"],[3,"cat"]]

    SELECT player.name FROM player WHERE player.id = 4
    => [["dan"]]

    SELECT p.name FROM player AS p WHERE p.id = 5
    => [["eve"]]

    SELECT p.name FROM player p WHERE p.id = 6
    => [["fay"]]

    SELECT p.* FROM player p WHERE p.id = 2
    :: id u64, name string, guild_id u32, level u8, score i32, rating f64, active bool, owner identity, nick option<string>
    => [[2,"bob",1,20,-5,3.0,false,$B,null]]

    SELECT name, id FROM player WHERE name = 'cat'
    => [["cat",3]]

    SELECT * FROM player WHERE id = 99
    => []

    SELECT name FROM player
    ~> [["ann"],["bob"],["cat"],["dan"],["eve"],["fay"]]

    SELECT name FROM guild WHERE id = 1;
    => [["red"]]

    SELECT name -- the player's name
    FROM player -- a comment
    WHERE id = 1
    => [["ann"]]

    SELECT COUNT(*) FROM guild; SELECT COUNT(*) FROM item
    => [[7]]

    SELECT name FROM player WHERE ((level = 10)) ORDER BY name
    => [["ann"],["cat"]]

    SELECT name FROM player WHERE name = 'it''s'
    => []

    SELECT name AS n, level AS l, name AS n2 FROM player WHERE id = 6
    :: n string, l u8, n2 string
    => [["fay",5,"fay"]]

    # ---- comparisons ----
    SELECT name FROM player WHERE level > 10 ORDER BY name
    => [["bob"],["dan"],["eve"]]

    SELECT name FROM player WHERE level >= 10 ORDER BY name
    => [["ann"],["bob"],["cat"],["dan"],["eve"]]

    SELECT name FROM player WHERE level < 10
    => [["fay"]]

    SELECT name FROM player WHERE level <= 10 ORDER BY name
    => [["ann"],["cat"],["fay"]]

    SELECT name FROM player WHERE level != 10 ORDER BY name
    => [["bob"],["dan"],["eve"],["fay"]]

    SELECT name FROM player WHERE level <> 10 ORDER BY name
    => [["bob"],["dan"],["eve"],["fay"]]

    SELECT name FROM player WHERE 10 < level ORDER BY name
    => [["bob"],["dan"],["eve"]]

    SELECT name FROM player WHERE level > 5 AND level < 30 ORDER BY name
    => [["ann"],["bob"],["cat"],["eve"]]

    SELECT name FROM player WHERE level = 10 OR level = 30 ORDER BY name
    => [["ann"],["cat"],["dan"]]

    SELECT name FROM player WHERE NOT level = 10 ORDER BY name
    => [["bob"],["dan"],["eve"],["fay"]]

    SELECT name FROM player WHERE NOT (level = 10 OR level = 20) ORDER BY name
    => [["dan"],["fay"]]

    SELECT name FROM player WHERE (level = 10 OR level = 20) AND active ORDER BY name
    => [["ann"],["cat"]]

    SELECT name FROM player WHERE level = 10 OR level = 20 AND active ORDER BY name
    => [["ann"],["cat"]]

    SELECT name FROM player WHERE active ORDER BY name
    => [["ann"],["cat"],["dan"],["fay"]]

    SELECT name FROM player WHERE NOT active ORDER BY name
    => [["bob"],["eve"]]

    SELECT name FROM player WHERE active = FALSE ORDER BY name
    => [["bob"],["eve"]]

    SELECT name FROM player WHERE level = 10 AND NOT NOT active ORDER BY name
    => [["ann"],["cat"]]

    SELECT name FROM player WHERE score < 0
    => [["bob"]]

    SELECT name FROM player WHERE score = -5
    => [["bob"]]

    SELECT name FROM player WHERE score >= 100 ORDER BY name
    => [["ann"],["cat"],["fay"]]

    SELECT name FROM player WHERE rating > 4.5 ORDER BY name
    => [["cat"],["eve"]]

    SELECT name FROM player WHERE rating = 3
    => [["bob"]]

    SELECT name FROM player WHERE rating < 2.5 ORDER BY name
    => [["dan"],["fay"]]

    SELECT name FROM player WHERE rating < 25e-1 ORDER BY name
    => [["dan"],["fay"]]

    SELECT name FROM player WHERE rating >= 4.9 ORDER BY name
    => [["cat"],["eve"]]

    SELECT name FROM player WHERE name > 'cat' ORDER BY name
    => [["dan"],["eve"],["fay"]]

    SELECT name FROM player WHERE name = 'ANN'
    => []

    SELECT name FROM player WHERE guild_id = 2 AND level = 30
    => [["dan"]]

    SELECT name FROM player WHERE guild_id = 1 AND level >= 15
    => [["bob"]]

    SELECT COUNT(*) FROM player WHERE 1 = 1
    => [[6]]

    SELECT COUNT(*) FROM player WHERE 1 = 2
    => [[0]]

    SELECT COUNT(*) FROM player WHERE TRUE
    => [[6]]

    SELECT COUNT(*) FROM player WHERE FALSE
    => [[0]]

    SELECT COUNT(*) FROM player WHERE -3 < 2.5
    => [[6]]

    SELECT COUNT(*) FROM player WHERE 'a' = 'a' AND 340282366920938463463374607431768211455 > -1
    => [[6]]

    # ---- options ----
    SELECT name FROM player WHERE nick = 'kitty'
    => [["cat"]]

    SELECT name FROM player WHERE nick IS NULL ORDER BY name
    => [["bob"],["dan"],["fay"]]

    SELECT name FROM player WHERE nick IS NOT NULL ORDER BY name
    => [["ann"],["cat"],["eve"]]

    SELECT name FROM player WHERE nick != 'eve' ORDER BY name
    => [["ann"],["cat"]]

    SELECT name FROM player WHERE NOT nick = 'eve' ORDER BY name
    => [["ann"],["cat"]]

    SELECT name FROM player WHERE nick = 'eve' OR level = 5 ORDER BY name
    => [["eve"],["fay"]]

    SELECT name FROM player WHERE nick > 'b' ORDER BY name
    => [["cat"],["eve"]]

    SELECT name, nick FROM player ORDER BY nick
    => [["ann","annie"],["eve","eve"],["cat","kitty"],["bob",null],["dan",null],["fay",null]]

    SELECT name, nick FROM player ORDER BY nick DESC
    => [["bob",null],["dan",null],["fay",null],["cat","kitty"],["eve","eve"],["ann","annie"]]

    # ---- identities, :sender, hex ----
    SELECT name FROM player WHERE owner = 0x0a ORDER BY name
    => [["ann"],["cat"]]

    SELECT name FROM player WHERE owner = X'0A' ORDER BY name
    => [["ann"],["cat"]]

    SELECT name FROM player WHERE owner = :sender ORDER BY name
    => [["ann"],["cat"]]

    @client
    SELECT name FROM player WHERE owner = :sender ORDER BY name
    => [["bob"],["eve"]]

    SELECT name FROM player WHERE :sender = owner ORDER BY name
    => [["ann"],["cat"]]

    SELECT name FROM player WHERE owner = :SENDER ORDER BY name
    => [["ann"],["cat"]]

    SELECT name FROM player WHERE owner = 0x000000000000000000000000000000000000000000000000000000000000000c
    => [["dan"]]

    SELECT name FROM player WHERE owner != :sender ORDER BY name
    => [["bob"],["dan"],["eve"],["fay"]]

    SELECT owner FROM player WHERE name = 'fay'
    :: owner identity
    => [[$D]]

    SELECT name FROM player ORDER BY owner DESC, name
    => [["fay"],["dan"],["bob"],["eve"],["ann"],["cat"]]

    SELECT item_id FROM item WHERE tag = X'dead'
    => [[1]]

    SELECT item_id FROM item WHERE tag = 0xff00
    => [[4]]

    SELECT item_id FROM item WHERE tag = X'' ORDER BY item_id
    => [[2],[6]]

    SELECT item_id FROM item WHERE tag = X'01' ORDER BY item_id
    => [[3],[5]]

    SELECT item_id FROM item WHERE tag > X'0a' ORDER BY item_id
    => [[1],[4]]

    SELECT tag FROM item WHERE item_id = 1
    :: tag bytes
    => [["dead"]]

    SELECT item_id FROM item WHERE qty = 0xA
    => [[4]]

    # ---- integer widths, floats, timestamps ----
    SELECT item_id FROM item WHERE tiny = -128
    => [[4]]

    SELECT item_id FROM item WHERE tiny = 127
    => [[5]]

    SELECT item_id FROM item WHERE tiny < 0 ORDER BY item_id
    => [[1],[4]]

    SELECT item_id FROM item WHERE big = 340282366920938463463374607431768211455
    => [[2]]

    SELECT item_id FROM item WHERE big > 3 ORDER BY item_id
    => [[2],[6],[7]]

    SELECT item_id FROM item WHERE delta = -170141183460469231731687303715884105728
    => [[4]]

    SELECT item_id FROM item WHERE delta = 170141183460469231731687303715884105727
    => [[3]]

    SELECT item_id FROM item WHERE delta < 0 ORDER BY item_id
    => [[1],[4]]

    SELECT big FROM item WHERE item_id = 2
    :: big u128
    => [["340282366920938463463374607431768211455"]]

    SELECT delta FROM item WHERE item_id = 4
    => [["-170141183460469231731687303715884105728"]]

    SELECT tag, big, delta, tiny, qty, weight, value FROM item WHERE item_id = 5
    :: tag bytes, big u128, delta i128, tiny i8, qty u16, weight f32, value i64
    => [["01",3,7,127,5,0.25,50]]

    SELECT item_id FROM item WHERE qty >= 5 ORDER BY item_id
    => [[4],[5]]

    SELECT item_id FROM item WHERE value > 999 ORDER BY item_id
    => [[1],[3]]

    SELECT item_id FROM item WHERE value = 50 ORDER BY item_id
    => [[4],[5]]

    SELECT item_id FROM item WHERE weight = 3.5 ORDER BY item_id
    => [[1],[3]]

    SELECT item_id FROM item WHERE weight < 1 ORDER BY item_id
    => [[4],[5]]

    SELECT item_id FROM item WHERE weight = 0.25 ORDER BY item_id
    => [[4],[5]]

    SELECT item_id FROM item WHERE qty = owner_id
    => [[1]]

    SELECT item_id FROM item WHERE value <= weight
    => [[7]]

    SELECT item_id FROM item WHERE big < delta ORDER BY item_id
    => [[3],[5]]

    SELECT name FROM guild WHERE founded = 2000000
    => [["blue"]]

    SELECT name FROM guild WHERE founded > 2500000 ORDER BY id
    => [["green"],["empty"]]

    SELECT item_id, value FROM item ORDER BY value DESC, item_id LIMIT 3
    => [[3,1200],[1,1000],[6,800]]

    SELECT item_id FROM item ORDER BY weight, item_id
    => [[4],[5],[7],[6],[1],[3],[2]]

    SELECT item_id FROM item ORDER BY big DESC LIMIT 2
    => [[2],[7]]

    SELECT item_id FROM item ORDER BY delta LIMIT 2
    => [[4],[1]]

    # ---- ORDER BY, LIMIT, COUNT ----
    SELECT name FROM player ORDER BY score DESC, name
    => [["cat"],["ann"],["fay"],["eve"],["dan"],["bob"]]

    SELECT name FROM player ORDER BY score DESC
    => [["cat"],["ann"],["fay"],["eve"],["dan"],["bob"]]

    SELECT name FROM player ORDER BY rating
    => [["fay"],["dan"],["bob"],["ann"],["cat"],["eve"]]

    SELECT name FROM player ORDER BY rating ASC
    => [["fay"],["dan"],["bob"],["ann"],["cat"],["eve"]]

    SELECT name FROM player ORDER BY level, name LIMIT 3
    => [["fay"],["ann"],["cat"]]

    SELECT name FROM player ORDER BY id LIMIT 2
    => [["ann"],["bob"]]

    SELECT name FROM player ORDER BY id DESC LIMIT 2
    => [["fay"],["eve"]]

    SELECT name FROM player LIMIT 0
    => []

    SELECT name FROM player WHERE level = 10 LIMIT 1
    ~> [["ann"]]

    SELECT name FROM player LIMIT 100
    ~> [["ann"],["bob"],["cat"],["dan"],["eve"],["fay"]]

    SELECT name AS n, score AS s FROM player ORDER BY s LIMIT 2
    => [["bob",-5],["dan",0]]

    SELECT name FROM player ORDER BY rating DESC LIMIT 1
    => [["eve"]]

    SELECT name FROM player ORDER BY guild_id DESC, level DESC
    => [["eve"],["fay"],["dan"],["cat"],["bob"],["ann"]]

    SELECT name FROM player ORDER BY active, name
    => [["bob"],["eve"],["ann"],["cat"],["dan"],["fay"]]

    SELECT COUNT(*) FROM player
    :: count u64
    => [[6]]

    SELECT COUNT(*) AS n FROM player WHERE active
    :: n u64
    => [[4]]

    SELECT count(*) FROM player WHERE level > 100
    => [[0]]

    SELECT COUNT(*) FROM player WHERE level = 10
    => [[2]]

    SELECT COUNT(*) AS total FROM item
    => [[7]]

    SELECT COUNT(*) FROM player LIMIT 0
    => []

    SELECT COUNT(*) FROM player LIMIT 1
    => [[6]]

    # ---- joins ----
    SELECT p.name, i.kind FROM player p JOIN item i ON i.owner_id = p.id ORDER BY i.item_id
    :: name string, kind string
    => [["ann","sword"],["ann","shield"],["bob","sword"],["cat","potion"],["cat","potion"],["eve","bow"]]

    SELECT p.name, i.kind FROM player p INNER JOIN item i ON p.id = i.owner_id ORDER BY i.item_id
    => [["ann","sword"],["ann","shield"],["bob","sword"],["cat","potion"],["cat","potion"],["eve","bow"]]

    SELECT i.item_id, p.name FROM item i JOIN player p ON p.id = i.owner_id ORDER BY i.item_id
    => [[1,"ann"],[2,"ann"],[3,"bob"],[4,"cat"],[5,"cat"],[6,"eve"]]

    SELECT p.name FROM player p JOIN item i ON i.owner_id = p.id WHERE i.kind = 'sword' ORDER BY p.name
    => [["ann"],["bob"]]

    SELECT name, kind FROM player JOIN item ON owner_id = id WHERE kind = 'bow'
    => [["eve","bow"]]

    SELECT player.name, item.kind FROM player JOIN item ON item.owner_id = player.id WHERE item.item_id = 3
    => [["bob","sword"]]

    SELECT p.name, i.kind, g.name FROM player p JOIN item i ON i.owner_id = p.id JOIN guild g ON g.id = p.guild_id ORDER BY i.item_id
    => [["ann","sword","red"],["ann","shield","red"],["bob","sword","red"],["cat","potion","blue"],["cat","potion","blue"],["eve","bow","green"]]

    SELECT i.item_id FROM player p JOIN item i ON i.owner_id = p.id JOIN guild g ON g.id = p.guild_id WHERE g.region = 'eu' ORDER BY i.item_id
    => [[1],[2],[3],[6]]

    SELECT COUNT(*) FROM player p JOIN guild g ON g.id = p.guild_id WHERE g.region = 'eu'
    => [[4]]

    SELECT COUNT(*) FROM player p JOIN item i ON i.owner_id = p.id
    => [[6]]

    SELECT g.name, p.name FROM guild g JOIN player p ON p.guild_id = g.id ORDER BY p.id
    => [["red","ann"],["red","bob"],["blue","cat"],["blue","dan"],["green","eve"],["green","fay"]]

    SELECT p.name, q.name FROM player p JOIN player q ON q.score = p.score WHERE p.id < q.id
    => [["ann","fay"]]

    SELECT p.name, q.name FROM player p JOIN player q ON q.level = p.level AND q.active = p.active WHERE p.id != q.id ORDER BY p.id
    => [["ann","cat"],["bob","eve"],["cat","ann"],["eve","bob"]]

    SELECT i.item_id, g.name FROM item i JOIN guild g ON g.id = i.qty ORDER BY i.item_id
    => [[1,"red"],[2,"blue"],[3,"red"],[6,"red"],[7,"red"]]

    SELECT p.name, i.kind FROM player p JOIN item i ON i.owner_id = p.id WHERE i.value > p.score ORDER BY i.item_id
    => [["ann","sword"],["ann","shield"],["bob","sword"],["eve","bow"]]

    SELECT p.name, i.kind FROM player p JOIN item i ON i.owner_id = p.id WHERE i.kind = 'bow' OR p.name = 'cat' ORDER BY i.item_id
    => [["cat","potion"],["cat","potion"],["eve","bow"]]

    SELECT * FROM guild g JOIN player p ON p.guild_id = g.id WHERE p.id = 6
    :: id u32, name string, region string, founded timestamp, id u64, name string, guild_id u32, level u8, score i32, rating f64, active bool, owner identity, nick option<string>
    => [[3,"green","eu",3000000,6,"fay",3,5,100,1.5,true,$D,null]]

    SELECT g.*, p.name FROM guild g JOIN player p ON p.guild_id = g.id WHERE p.id = 1
    => [[1,"red","eu",1000000,"ann"]]

    SELECT i.item_id FROM item i JOIN player p ON p.id = i.owner_id JOIN guild g ON g.id = p.guild_id ORDER BY i.value DESC LIMIT 2
    => [[3],[1]]

    SELECT g.name, h.name FROM guild g JOIN guild h ON h.founded > g.founded WHERE g.id = 3
    => [["green","empty"]]

    SELECT i.item_id, h.name FROM player p JOIN item i ON i.owner_id = p.id JOIN guild g ON g.id = p.guild_id JOIN guild h ON h.region = g.region WHERE h.id != g.id ORDER BY i.item_id
    => [[1,"green"],[2,"green"],[3,"green"],[6,"red"]]

    SELECT p.name FROM player p JOIN guild g ON g.id = p.guild_id AND g.name = 'blue' ORDER BY p.name
    => [["cat"],["dan"]]

    SELECT p.name FROM player p JOIN guild g ON g.id = p.guild_id AND p.level = 10 ORDER BY p.name
    => [["ann"],["cat"]]

    SELECT p.name, g.name FROM player p JOIN guild g ON g.id = p.guild_id AND g.id = 1 AND p.level = 20
    => [["bob","red"]]

    SELECT p.name FROM player p JOIN guild g ON g.founded = p.score ORDER BY p.name
    !! cannot compare column `g.founded` (timestamp) with column `p.score` (i32)

    SELECT p.name, g.name FROM player p JOIN guild g ON g.id = p.guild_id JOIN item i ON i.owner_id = p.id AND i.kind = 'shield'
    => [["ann","red"]]

    SELECT COUNT(*) FROM item a JOIN item b ON b.kind = a.kind
    => [[11]]

    SELECT COUNT(*) FROM guild a JOIN guild b ON TRUE
    => [[16]]

    SELECT COUNT(*) FROM guild a JOIN guild b ON a.id = a.id
    => [[16]]

    SELECT p.name FROM player p JOIN item i ON i.owner_id = p.id WHERE i.kind = 'nothing'
    => []
    """
