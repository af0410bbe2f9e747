package storetest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// FreePort returns a TCP port of 127.0.0.1 that nothing listened on a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	return port
}

// startProcess runs a program until the test ends (SIGKILL at cleanup); its output goes
// to a file of dir, shown when the test fails.
func startProcess(t testing.TB, dir, name string, args ...string) *exec.Cmd {
	t.Helper()
	path, err := exec.LookPath(name)
	require.NoError(t, err, "%s is needed (.ci/test-tools.sh installs it)", name)
	logPath := filepath.Join(dir, fmt.Sprintf("%s-%d.log", filepath.Base(name), time.Now().UnixNano()))
	logf, err := os.Create(logPath)
	require.NoError(t, err)
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, cmd.Start(), "start %s", name)
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_, _ = cmd.Process.Wait()
		_ = logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("%s %s:\n%s", name, strings.Join(args, " "), b)
		}
	})
	return cmd
}

// Sentinels is a Redis master, one replica and three Sentinels watching them, each a
// redis-server process of its own on loopback, for the test only.
type Sentinels struct {
	// Master is the master's name in the Sentinels' configuration.
	Master string
	// Addrs are the Sentinels' host:port.
	Addrs []string
	// MasterAddr and ReplicaAddr are where the master and the replica listen at start.
	MasterAddr, ReplicaAddr string

	master *exec.Cmd
}

// StartSentinels starts a master, a replica and three Sentinels (quorum 2, a master
// unanswered for one second is down) and returns once the Sentinels know the replica
// and each other, so that a failover can happen. Everything is killed at cleanup.
func StartSentinels(t testing.TB) *Sentinels {
	t.Helper()
	dir := t.TempDir()
	s := &Sentinels{Master: "huifangtest"}
	mp, rp := FreePort(t), FreePort(t)
	s.MasterAddr, s.ReplicaAddr = fmt.Sprintf("127.0.0.1:%d", mp), fmt.Sprintf("127.0.0.1:%d", rp)
	common := []string{"--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir}
	s.master = startProcess(t, dir, "redis-server", append([]string{"--port", strconv.Itoa(mp)}, common...)...)
	startProcess(t, dir, "redis-server", append([]string{"--port", strconv.Itoa(rp), "--replicaof", "127.0.0.1", strconv.Itoa(mp)}, common...)...)
	for i := 0; i < 3; i++ {
		port := FreePort(t)
		conf := filepath.Join(dir, fmt.Sprintf("sentinel-%d.conf", i))
		require.NoError(t, os.WriteFile(conf, []byte(fmt.Sprintf(`port %d
bind 127.0.0.1
dir %s
sentinel monitor %s 127.0.0.1 %d 2
sentinel down-after-milliseconds %s 1000
sentinel failover-timeout %s 4000
sentinel parallel-syncs %s 1
`, port, dir, s.Master, mp, s.Master, s.Master, s.Master)), 0o600))
		startProcess(t, dir, "redis-server", conf, "--sentinel")
		s.Addrs = append(s.Addrs, fmt.Sprintf("127.0.0.1:%d", port))
	}
	ctx := context.Background()
	require.Eventually(t, func() bool {
		for _, a := range s.Addrs {
			c := redis.NewSentinelClient(&redis.Options{Addr: a})
			reps, err1 := c.Replicas(ctx, s.Master).Result()
			others, err2 := c.Sentinels(ctx, s.Master).Result()
			_ = c.Close()
			if err1 != nil || err2 != nil || len(reps) < 1 || len(others) < 2 {
				return false
			}
		}
		r := redis.NewClient(&redis.Options{Addr: s.ReplicaAddr})
		defer r.Close()
		info, err := r.Info(ctx, "replication").Result()
		return err == nil && strings.Contains(info, "master_link_status:up")
	}, 30*time.Second, 100*time.Millisecond, "the sentinels know the replica and each other")
	return s
}

// KillMaster kills the first master with SIGKILL; the Sentinels then promote the replica.
func (s *Sentinels) KillMaster(t testing.TB) {
	t.Helper()
	require.NoError(t, s.master.Process.Kill())
}

// CurrentMaster asks the first Sentinel that answers where the master is now.
func (s *Sentinels) CurrentMaster(t testing.TB) string {
	t.Helper()
	for _, a := range s.Addrs {
		c := redis.NewSentinelClient(&redis.Options{Addr: a})
		addr, err := c.GetMasterAddrByName(context.Background(), s.Master).Result()
		_ = c.Close()
		if err == nil && len(addr) == 2 {
			return net.JoinHostPort(addr[0], addr[1])
		}
	}
	t.Fatalf("no sentinel of %v answers", s.Addrs)
	return ""
}

// StartPgBouncer runs a PgBouncer in transaction mode on loopback in front of the test
// database, whose server connections use db's schema, with at most poolSize server
// connections. It returns a database URL through it (no search_path parameter: the
// schema is set on each server connection by PgBouncer).
func StartPgBouncer(t testing.TB, db *DB, poolSize int) string {
	t.Helper()
	cfg, err := pgx.ParseConfig(URL())
	require.NoError(t, err)
	dir := t.TempDir()
	// PgBouncer refuses to run as root; when we are root it drops to the postgres user,
	// who must read its files.
	require.NoError(t, os.Chmod(dir, 0o755))
	port := FreePort(t)
	ini := fmt.Sprintf(`[databases]
huifang = host=%s port=%d dbname=%s user=%s connect_query='SET search_path = %s'

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = trust
auth_file = %s
pool_mode = transaction
default_pool_size = %d
min_pool_size = 0
max_client_conn = 200
server_reset_query =
ignore_startup_parameters = extra_float_digits
`, cfg.Host, cfg.Port, cfg.Database, cfg.User, db.Schema, port, filepath.Join(dir, "users.txt"), poolSize)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "users.txt"), []byte(fmt.Sprintf("%q \"\"\n", cfg.User)), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "pgbouncer.ini"), []byte(ini), 0o644))
	args := []string{filepath.Join(dir, "pgbouncer.ini")}
	if os.Geteuid() == 0 {
		args = append([]string{"-u", "postgres"}, args...)
	}
	startProcess(t, dir, "pgbouncer", args...)
	url := fmt.Sprintf("postgres://%s@127.0.0.1:%d/huifang?sslmode=disable", cfg.User, port)
	require.Eventually(t, func() bool {
		c, err := pgx.Connect(context.Background(), url)
		if err != nil {
			return false
		}
		defer c.Close(context.Background())
		var one int
		return c.QueryRow(context.Background(), "SELECT 1", pgx.QueryExecModeSimpleProtocol).Scan(&one) == nil
	}, 20*time.Second, 50*time.Millisecond, "pgbouncer answers on %s", url)
	return url
}
