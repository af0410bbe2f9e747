package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/huifang/huifang/store"
)

// openDB connects to Postgres and, unless migrating, refuses an outdated schema.
func openDB(ctx context.Context, cfg *config, checkSchema bool) (*pgxpool.Pool, error) {
	pool, err := store.Open(ctx, store.Config{URL: cfg.DatabaseURL, MaxConns: int32(cfg.DBMaxConns),
		TransactionPooled: cfg.DBPoolMode == "transaction"})
	if err != nil {
		return nil, err
	}
	if checkSchema {
		if err := store.CheckSchema(ctx, pool); err != nil {
			pool.Close()
			return nil, err
		}
	}
	return pool, nil
}

// openRedis connects to Redis, at REDIS_URL or through the Sentinels when
// HUIFANG_REDIS_SENTINELS is set, and checks that it answers. Asynq and every other user
// of Redis share this client, so all of them follow a Sentinel failover: the client asks
// the Sentinels for the master again when its connections break.
func openRedis(ctx context.Context, cfg *config) (*redis.Client, error) {
	opt, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	var rdb *redis.Client
	where := opt.Addr
	if len(cfg.RedisSentinels) > 0 {
		rdb = redis.NewFailoverClient(&redis.FailoverOptions{
			MasterName:       cfg.RedisMaster,
			SentinelAddrs:    cfg.RedisSentinels,
			SentinelPassword: cfg.RedisSentinelPassword,
			Username:         opt.Username,
			Password:         opt.Password,
			DB:               opt.DB,
			TLSConfig:        opt.TLSConfig,
		})
		where = fmt.Sprintf("master %q of sentinels %s", cfg.RedisMaster, strings.Join(cfg.RedisSentinels, ","))
	} else {
		rdb = redis.NewClient(opt)
	}
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		return nil, fmt.Errorf("redis %s: %w", where, err)
	}
	return rdb, nil
}

// cliDB loads the configuration and opens the database (refusing an outdated schema) for
// a command that needs nothing else of the configuration.
func cliDB(ctx context.Context, env *cliEnv) (*pgxpool.Pool, error) {
	cfg, err := loadConfig(env.getenv)
	if err != nil {
		return nil, err
	}
	return openDB(ctx, cfg, true)
}
