-- Load generator for the Tarantool peer of Benchmarks/run-peers.sh, run with the `tarantool` binary:
--   tarantool tarantool-load.lua PORT CONNECTIONS IN_FLIGHT WARMUP DURATION ACCOUNTS BALANCE DISTRIBUTION ALPHA SERVER_PID
-- Opens CONNECTIONS net.box connections; on each, IN_FLIGHT fibers call transfer(from, to, 1) one after
-- another (net.box multiplexes a connection's calls, so each connection has IN_FLIGHT calls outstanding).
-- Accounts come from a pre-drawn pool of pairs (uniform, or Zipf: id k has weight 1 / (k + 1)^ALPHA).
-- After WARMUP seconds it measures DURATION seconds: calls completed in the window, latency of each
-- (1 us buckets up to 1 s), this process's and the server's CPU from /proc; then checks the balances
-- and prints one JSON line.
local netbox = require('net.box')
local fiber = require('fiber')
local clock = require('clock')
local json = require('json')
local ffi = require('ffi')

local port, connections, in_flight = arg[1], tonumber(arg[2]), tonumber(arg[3])
local warmup, duration = tonumber(arg[4]), tonumber(arg[5])
local accounts, balance = tonumber(arg[6]), tonumber(arg[7])
local distribution, alpha, server_pid = arg[8], tonumber(arg[9]), arg[10]

ffi.cdef('long sysconf(int name);')
local us_per_tick = 1e6 / tonumber(ffi.C.sysconf(2)) -- _SC_CLK_TCK

-- utime + stime of a process in microseconds (fields 14 and 15 of /proc/PID/stat).
local function cpu_us(pid)
    local f = io.open('/proc/' .. pid .. '/stat')
    if f == nil then return nil end
    local text = f:read('*a')
    f:close()
    local fields = {}
    for field in text:sub(text:find(')', 1, true) + 2):gmatch('%S+') do fields[#fields + 1] = field end
    return (tonumber(fields[12]) + tonumber(fields[13])) * us_per_tick
end

-- Busy CPU time of the whole machine in microseconds (all cores; /proc/stat minus idle, iowait, steal).
local function machine_busy_us()
    local f = io.open('/proc/stat')
    local line = f:read('*l')
    f:close()
    local v = {}
    for field in line:gmatch('%d+') do v[#v + 1] = tonumber(field) end
    local total = 0
    for i = 1, math.min(8, #v) do total = total + v[i] end
    return (total - v[4] - v[5] - (v[8] or 0)) * us_per_tick
end

-- The pool of (from, to) pairs every fiber walks through.
local POOL = 65536
local from_ids, to_ids = {}, {}
math.randomseed(24301)
local draw
if distribution == 'zipf' then
    local cdf, total = ffi.new('double[?]', accounts), 0
    for k = 0, accounts - 1 do
        total = total + 1 / (k + 1) ^ alpha
        cdf[k] = total
    end
    draw = function()
        local u, lo, hi = math.random() * total, 0, accounts - 1
        while lo < hi do
            local mid = math.floor((lo + hi) / 2)
            if cdf[mid] < u then lo = mid + 1 else hi = mid end
        end
        return lo
    end
else
    draw = function() return math.random(0, accounts - 1) end
end
for i = 1, POOL do
    from_ids[i], to_ids[i] = draw(), draw()
end

local BUCKETS = 1000000 -- 1 us each; slower calls land in the last one
local histogram = ffi.new('uint32_t[?]', BUCKETS + 1)
local measuring, running = false, true
local window_start, window_end = 0, math.huge
local committed, failed, errors, samples = 0, 0, 0, {}

local function worker(conn, first, done)
    local i = first
    while running do
        local t0 = clock.monotonic()
        local ok, err = pcall(conn.call, conn, 'transfer', {from_ids[i], to_ids[i], 1})
        local t1 = clock.monotonic()
        if measuring and t1 >= window_start and t1 < window_end then
            local us = math.floor((t1 - t0) * 1e6)
            histogram[us < BUCKETS and us or BUCKETS] = histogram[us < BUCKETS and us or BUCKETS] + 1
            if ok then
                committed = committed + 1
            elseif tostring(err):find('insufficient funds', 1, true) then
                failed = failed + 1
            else
                errors = errors + 1
                if #samples < 5 then samples[#samples + 1] = tostring(err) end
            end
        end
        i = i % POOL + 1
    end
    done:put(true)
end

local function percentile(total, p)
    local rank, seen = math.ceil(total * p / 100), 0
    for us = 0, BUCKETS do
        seen = seen + histogram[us]
        if seen >= rank and seen > 0 then return us end
    end
    return BUCKETS
end

local conns, done = {}, fiber.channel(connections * in_flight)
for c = 1, connections do
    conns[c] = netbox.connect('127.0.0.1:' .. port, {wait_connected = true})
    if not conns[c]:is_connected() then error('cannot connect to 127.0.0.1:' .. port) end
end
for c = 1, connections do
    for k = 1, in_flight do
        fiber.create(worker, conns[c], ((c - 1) * in_flight + k - 1) * 61 % POOL + 1, done)
    end
end
fiber.sleep(warmup)
local server_before, self_before, machine_before = cpu_us(server_pid), cpu_us('self'), machine_busy_us()
window_start = clock.monotonic()
window_end = window_start + duration
measuring = true
fiber.sleep(duration)
local seconds = clock.monotonic() - window_start
local server_after, self_after, machine_after = cpu_us(server_pid), cpu_us('self'), machine_busy_us()
running = false
for _ = 1, connections * in_flight do done:get() end

local total = committed + failed + errors
local rows, sum = conns[1]:call('bank_sum')
for c = 1, connections do conns[c]:close() end
print(json.encode({
    connections = connections, in_flight = in_flight, seconds = seconds,
    calls_per_second = total / seconds, committed = committed, failed = failed, errors = errors,
    error_samples = samples,
    latency_us = {p50 = percentile(total, 50), p90 = percentile(total, 90), p99 = percentile(total, 99),
                  p99_9 = percentile(total, 99.9)},
    server_cpu_us = server_after and (server_after - server_before) or json.NULL,
    loadgen_cpu_us = self_after - self_before,
    machine_busy_us = machine_after - machine_before,
    check = {rows = rows, sum = sum, passed = rows == accounts and sum == accounts * balance},
}))
os.exit(0)
