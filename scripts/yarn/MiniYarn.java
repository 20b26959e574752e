import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;

/**
 * A one-node YARN cluster in this JVM for scripts/yarn-test.sh (run with Java's single-file launcher).
 * Writes the yarn-site.xml clients need (actual ResourceManager addresses) into CONF_DIR, then runs until killed.
 * Containers run on this host, so the application classpath can name local directories.
 *
 *   java -cp 'HADOOP_LIB/*' MiniYarn.java CONF_DIR HADOOP_LIB WORK_DIR
 */
public class MiniYarn {
    public static void main(String[] args) throws Exception {
        Path confDir = Path.of(args[0]);
        String hadoopLib = args[1];
        System.setProperty("test.build.data", args[2]);
        YarnConfiguration conf = new YarnConfiguration();
        conf.setInt(YarnConfiguration.RM_SCHEDULER_MINIMUM_ALLOCATION_MB, 256);
        conf.setInt(YarnConfiguration.NM_PMEM_MB, 6144);
        conf.setInt(YarnConfiguration.NM_VCORES, 4);
        conf.setBoolean(YarnConfiguration.NM_PMEM_CHECK_ENABLED, false);
        conf.setBoolean(YarnConfiguration.NM_VMEM_CHECK_ENABLED, false);
        conf.setFloat(YarnConfiguration.NM_MAX_PER_DISK_UTILIZATION_PERCENTAGE, 99.5f);
        // The configuration directory first: the application master reads the scheduler address from it.
        conf.set(YarnConfiguration.YARN_APPLICATION_CLASSPATH, confDir.toAbsolutePath() + "," + hadoopLib + "/*");
        MiniYARNCluster cluster = new MiniYARNCluster("clickstream-yarn", 1, 1, 1);
        cluster.init(conf);
        cluster.start();
        Configuration actual = cluster.getConfig();
        Path tmp = confDir.resolve("yarn-site.xml.tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            actual.writeXml(out);
        }
        Files.move(tmp, confDir.resolve("yarn-site.xml"), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        System.out.println("MiniYARNCluster up: ResourceManager " + actual.get(YarnConfiguration.RM_ADDRESS) + ", web "
                + actual.get(YarnConfiguration.RM_WEBAPP_ADDRESS));
        Runtime.getRuntime().addShutdownHook(new Thread(cluster::stop));
        Thread.currentThread().join();
    }
}
