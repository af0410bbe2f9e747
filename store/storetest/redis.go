package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// DefaultRedisAddr is the test Redis used when HUIFANG_TEST_REDIS_ADDR is not set.
const DefaultRedisAddr = "127.0.0.1:6379"

// redisLeaseTTL bounds how long a crashed test keeps a database from the others.
const redisLeaseTTL = 20 * time.Minute

// Redis is a Redis database leased to one test: no other test (of this package or any
// other running at the same time) uses it until the test ends.
type Redis struct {
	// Client is connected to the leased database.
	Client *redis.Client
	// Addr is the server's host:port.
	Addr string
	// DB is the leased database number (1..15).
	DB int
	// URL is redis://Addr/DB, for code configured by URL.
	URL string
}

// RedisAddr returns the test Redis server's address.
func RedisAddr() string {
	if a := os.Getenv("HUIFANG_TEST_REDIS_ADDR"); a != "" {
		return a
	}
	return DefaultRedisAddr
}

// NewRedis leases an empty Redis database for the test and empties and releases it at
// cleanup. Leases are keys in database 0 (huifang:test:redis-lease:N, set with NX and a
// TTL), so packages tested in parallel never flush each other's queues. It waits up to a
// minute for a free database.
func NewRedis(t testing.TB) *Redis {
	t.Helper()
	ctx := context.Background()
	addr := RedisAddr()
	admin := redis.NewClient(&redis.Options{Addr: addr, DB: 0})
	defer admin.Close()

	b := make([]byte, 8)
	_, _ = rand.Read(b)
	token := hex.EncodeToString(b)

	db := 0
	require.Eventually(t, func() bool {
		for n := 1; n <= 15; n++ {
			ok, err := admin.SetNX(ctx, leaseKey(n), token, redisLeaseTTL).Result()
			require.NoError(t, err, "lease a test Redis database on %s", addr)
			if ok {
				db = n
				return true
			}
		}
		return false
	}, time.Minute, 100*time.Millisecond, "no free test Redis database on %s", addr)

	c := redis.NewClient(&redis.Options{Addr: addr, DB: db})
	require.NoError(t, c.FlushDB(ctx).Err())
	t.Cleanup(func() {
		ctx := context.Background()
		_ = c.FlushDB(ctx).Err()
		_ = c.Close()
		a := redis.NewClient(&redis.Options{Addr: addr, DB: 0})
		defer a.Close()
		// Release only our own lease (it may have expired and been taken since).
		_ = a.Eval(ctx, `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`,
			[]string{leaseKey(db)}, token).Err()
	})
	return &Redis{Client: c, Addr: addr, DB: db, URL: fmt.Sprintf("redis://%s/%d", addr, db)}
}

func leaseKey(n int) string { return fmt.Sprintf("huifang:test:redis-lease:%d", n) }
