#!lua name=bank
-- Redis 7 side of Benchmarks/run-peers.sh: FCALL transfer 2 FROM_KEY TO_KEY AMOUNT.
-- Balances are plain string keys (acct:<12-digit id>, the form redis-benchmark's __rand_int__ takes).
redis.register_function('transfer', function(keys, args)
    local amount = tonumber(args[1])
    if not amount or amount <= 0 then return redis.error_reply('the amount must be positive') end
    local from = redis.call('GET', keys[1])
    local to = redis.call('GET', keys[2])
    if not from or not to then return redis.error_reply('no such account') end
    if tonumber(from) < amount then return redis.error_reply('insufficient funds') end
    if keys[1] == keys[2] then return 0 end
    redis.call('DECRBY', keys[1], amount)
    redis.call('INCRBY', keys[2], amount)
    return 1
end)

-- FCALL open_accounts 0 COUNT BALANCE: sets acct:0 .. acct:COUNT-1 to BALANCE.
redis.register_function('open_accounts', function(keys, args)
    local count, balance = tonumber(args[1]), tonumber(args[2])
    for id = 0, count - 1 do redis.call('SET', string.format('acct:%012d', id), balance) end
    return count
end)

-- FCALL bank_sum 0 COUNT: {accounts found, sum of their balances} over acct:0 .. acct:COUNT-1.
redis.register_function{function_name = 'bank_sum', flags = {'no-writes'}, callback = function(keys, args)
    local count, rows, sum = tonumber(args[1]), 0, 0
    for id = 0, count - 1 do
        local balance = redis.call('GET', string.format('acct:%012d', id))
        if balance then
            rows = rows + 1
            sum = sum + tonumber(balance)
        end
    end
    return {rows, sum}
end}
