package io.clickstream.etl.redis;

import static io.clickstream.etl.redis.RedisErrors.Kind.PERMANENT;
import static io.clickstream.etl.redis.RedisErrors.Kind.TIMEOUT;
import static io.clickstream.etl.redis.RedisErrors.Kind.TRANSIENT;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import java.net.SocketTimeoutException;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

class RedisErrorsTest {

    @Test
    void anUnreachableStartingOrFailingOverServerIsWaitedFor() {
        assertThat(RedisErrors.kind(new JedisConnectionException(new ConnectException("Connection refused"))))
                .isEqualTo(TRANSIENT);
        assertThat(RedisErrors.kind(new JedisConnectionException(
                        "Failed to connect to any host resolved for DNS name.",
                        new SocketTimeoutException("Connect timed out"))))
                .as("the call never ran")
                .isEqualTo(TRANSIENT);
        assertThat(RedisErrors.kind(new JedisDataException("LOADING Redis is loading the dataset in memory")))
                .isEqualTo(TRANSIENT);
        assertThat(RedisErrors.kind(new JedisDataException(
                        "BUSY Redis is busy running a script. You can only call " + "SCRIPT KILL or SHUTDOWN NOSAVE.")))
                .isEqualTo(TRANSIENT);
        assertThat(RedisErrors.kind(new JedisDataException("READONLY You can't write against a read only replica.")))
                .isEqualTo(TRANSIENT);
    }

    @Test
    void refusalsThatNoRetryMendsFailWithWhatToFix() {
        JedisDataException oom = new JedisDataException("OOM command not allowed when used memory > 'maxmemory'.");
        JedisAccessControlException wrongPass =
                new JedisAccessControlException("WRONGPASS invalid username-password pair or user is disabled.");
        JedisDataException wrongType =
                new JedisDataException("WRONGTYPE Operation against a key holding the wrong kind of value");

        assertThat(RedisErrors.kind(oom)).isEqualTo(PERMANENT);
        assertThat(RedisErrors.advice(oom)).contains("maxmemory");
        assertThat(RedisErrors.kind(wrongPass)).isEqualTo(PERMANENT);
        assertThat(RedisErrors.advice(wrongPass)).contains("redis.user", "CLICKSTREAM_REDIS_PASSWORD");
        assertThat(RedisErrors.kind(wrongType)).isEqualTo(PERMANENT);
        assertThat(RedisErrors.advice(wrongType)).contains("redis.key-prefix");
        assertThat(RedisErrors.kind(new JedisDataException("MISCONF Redis is configured to save RDB snapshots")))
                .isEqualTo(PERMANENT);
        assertThat(RedisErrors.kind(new NullPointerException()))
                .as("a bug is not retried")
                .isEqualTo(PERMANENT);
    }

    @Test
    void aCallWithoutAnswerIsATimeoutAndItsAdviceNamesTheSetting() {
        JedisConnectionException timeout = new JedisConnectionException(new SocketTimeoutException("Read timed out"));

        assertThat(RedisErrors.kind(timeout)).isEqualTo(TIMEOUT);
        assertThat(RedisErrors.advice(timeout)).contains("redis.timeout");
    }
}
