// SnapBench times Java ZooKeeper's own snapshot write and load on a tree of n znodes, the same
// tree zkgo's bench builds (bench/storage.go): n znodes of valueSize bytes under /p0000,
// /p0001, ... (1000 children per parent), world-readable ACL, no sessions. zkgo bench compiles
// it against the version's jars at run time and reads its output lines:
//
//	java -cp <classes>:<zookeeper classpath> SnapBench <n> <valueSize> <dir> <repeats>
//	write fsync=true ms=<ms> bytes=<file size>     FileSnap.serialize(..., fsync=true), each repeat
//	write fsync=false ms=<ms> bytes=<file size>    the same without the fsync (Java's background snapshots)
//	load ms=<ms> nodes=<count>                     FileSnap.deserialize into a fresh DataTree, each repeat
//
// Java 8 source level, like jute/goldens/java/Goldens.java.

import java.io.File;
import java.util.HashMap;
import java.util.Map;

import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.server.DataTree;
import org.apache.zookeeper.server.persistence.FileSnap;

public class SnapBench {
    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args[0]);
        int valueSize = Integer.parseInt(args[1]);
        File dir = new File(args[2]);
        int repeats = Integer.parseInt(args[3]);
        dir.mkdirs();

        DataTree dt = new DataTree();
        byte[] data = new byte[valueSize];
        long zxid = 1;
        for (int i = 0; i < n; i++) {
            String parent = String.format("/p%04d", i / 1000);
            if (i % 1000 == 0) {
                zxid++;
                dt.createNode(parent, new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, 0, -1, zxid, 1);
            }
            zxid++;
            dt.createNode(String.format("%s/n%07d", parent, i), data, ZooDefs.Ids.OPEN_ACL_UNSAFE, 0, -1, zxid, 1);
        }
        dt.lastProcessedZxid = zxid;
        Map<Long, Integer> sessions = new HashMap<>();
        FileSnap snap = new FileSnap(dir);
        File f = null;
        for (int r = 0; r < repeats * 2; r++) {
            boolean fsync = r % 2 == 0;
            if (f != null) {
                f.delete();
            }
            f = new File(dir, "snapshot." + Long.toHexString(zxid));
            long t0 = System.nanoTime();
            snap.serialize(dt, sessions, f, fsync);
            long t1 = System.nanoTime();
            System.out.printf("write fsync=%s ms=%.3f bytes=%d%n", fsync, (t1 - t0) / 1e6, f.length());
        }
        dt = null;
        for (int r = 0; r < repeats; r++) {
            DataTree lt = new DataTree();
            Map<Long, Integer> ls = new HashMap<>();
            long t0 = System.nanoTime();
            long z = new FileSnap(dir).deserialize(lt, ls);
            long t1 = System.nanoTime();
            if (z != zxid) {
                throw new IllegalStateException("loaded zxid " + z + ", want " + zxid);
            }
            System.out.printf("load ms=%.3f nodes=%d%n", (t1 - t0) / 1e6, lt.getNodeCount());
            lt = null;
            System.gc();
        }
    }
}
