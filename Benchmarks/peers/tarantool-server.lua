-- Tarantool 2.6 side of Benchmarks/run-peers.sh: a memtx space of accounts and a `transfer` function
-- that runs inside box.begin()/box.commit().
-- Usage: tarantool tarantool-server.lua PORT WORK_DIR WAL_MODE ACCOUNTS BALANCE
local port, work_dir, wal_mode = arg[1], arg[2], arg[3]
local accounts, balance = tonumber(arg[4]), tonumber(arg[5])

box.cfg{
    listen = '127.0.0.1:' .. port,
    work_dir = work_dir,
    wal_mode = wal_mode,            -- 'write': acknowledged after write(2); 'fsync': after fsync
    memtx_memory = 512 * 1024 * 1024,
    net_msg_max = 4096,             -- default 768 would cap 64 x 16 = 1024 requests in flight
    checkpoint_interval = 0,        -- no snapshots during the run
    log = work_dir .. '/tarantool.log',
}

local account = box.schema.space.create('account', {if_not_exists = true})
account:format({{name = 'id', type = 'unsigned'}, {name = 'balance', type = 'integer'}})
account:create_index('primary', {type = 'tree', parts = {'id'}, if_not_exists = true})
box.schema.user.grant('guest', 'read,write,execute', 'universe', nil, {if_not_exists = true})

-- Moves `amount` from account `from` to account `to`; errors leave both untouched.
function transfer(from, to, amount)
    if amount <= 0 then error('the amount must be positive') end
    box.begin()
    local source = account:get(from)
    local target = account:get(to)
    if source == nil or target == nil then
        box.rollback()
        error('no such account')
    end
    if source[2] < amount then
        box.rollback()
        error('insufficient funds')
    end
    if from ~= to then
        account:update(from, {{'-', 2, amount}})
        account:update(to, {{'+', 2, amount}})
    end
    box.commit()
    return true
end

-- The number of accounts and the sum of their balances (the check after the run).
function bank_sum()
    local rows, sum = 0, 0
    for _, t in account:pairs() do
        rows = rows + 1
        sum = sum + t[2]
    end
    return rows, sum
end

if account:len() == 0 then
    for first = 0, accounts - 1, 10000 do
        box.begin()
        for id = first, math.min(first + 9999, accounts - 1) do account:insert({id, balance}) end
        box.commit()
    end
end
require('log').info('bank ready: %d accounts', account:len())
-- A file the script waits for: the accounts exist and the port listens.
local ready = io.open(work_dir .. '/ready', 'w')
ready:write('ready\n')
ready:close()
