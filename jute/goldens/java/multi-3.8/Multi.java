// Multi writes the goldens of the hand-written multi records with the ZooKeeper 3.5+ client API
// (MultiOperationRecord, read ops, TTL and container creates, results with stats and data).
// Compiled together with ../Goldens.java for 3.8.0 and 3.9.3 by scripts/goldens.sh.

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.MultiOperationRecord;
import org.apache.zookeeper.MultiResponse;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;

final class Multi {
    private Multi() {}

    static int write() throws Exception {
        byte[] data = "hello, zookeeper".getBytes(StandardCharsets.UTF_8);
        List<ACL> digest = Arrays.asList(new ACL(ZooDefs.Perms.READ | ZooDefs.Perms.ADMIN,
                new Id("digest", "bob:4aR+zeAcSzObV4e4BXNjHdnqqL8=")));

        List<Goldens.Case> ops = new ArrayList<Goldens.Case>();
        ops.add(Goldens.opsCase("writes", new MultiOperationRecord(Arrays.asList(
                Op.create("/zk/app/a", data, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT),
                Op.create("/zk/app/seq-", data, digest, CreateMode.EPHEMERAL_SEQUENTIAL),
                Op.create("/zk/app/flags", new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, 2),
                Op.delete("/zk/app/old", -1),
                Op.setData("/zk/app/a", data, 3),
                Op.check("/zk/app", 7)))));
        ops.add(Goldens.opsCase("container-ttl", new MultiOperationRecord(Arrays.asList(
                Op.create("/zk/app/container", new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.CONTAINER),
                Op.create("/zk/app/ttl", data, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT_WITH_TTL, 3600000L),
                Op.create("/zk/app/ttlseq-", data, ZooDefs.Ids.CREATOR_ALL_ACL,
                        CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL, Long.MAX_VALUE)))));
        ops.add(Goldens.opsCase("edge", new MultiOperationRecord(Arrays.asList(
                Op.create(Goldens.UNICODE_PATH, null, null, CreateMode.PERSISTENT),
                Op.setData(Goldens.UNICODE_PATH, null, Integer.MAX_VALUE),
                Op.setData("/", new byte[0], Integer.MIN_VALUE),
                Op.delete("", Integer.MIN_VALUE),
                Op.check(Goldens.UNICODE_PATH, -1)))));
        ops.add(Goldens.opsCase("reads", new MultiOperationRecord(Arrays.asList(
                Op.getChildren("/zk/app"),
                Op.getData("/zk/app/a"),
                Op.getData(Goldens.UNICODE_PATH)))));
        ops.add(Goldens.opsCase("empty", new MultiOperationRecord()));
        Goldens.writeFile("wire", "MultiOperationRecord", MultiOperationRecord.class.getName(), "", ops);

        Goldens.ResultFields rf = new Goldens.ResultFields() {
            @Override
            public String dump(String p, OpResult r) throws Exception {
                if (r instanceof OpResult.CreateResult) {
                    OpResult.CreateResult c = (OpResult.CreateResult) r;
                    String s = p + "path = " + Goldens.quote(c.getPath()) + "\n";
                    return c.getStat() == null ? s : s + Goldens.dumpRecord(p + "stat.", c.getStat());
                }
                if (r instanceof OpResult.GetDataResult) {
                    OpResult.GetDataResult g = (OpResult.GetDataResult) r;
                    String s = p + "data = " + (g.getData() == null ? "null" : "hex:" + Goldens.hex(g.getData())) + "\n";
                    return s + Goldens.dumpRecord(p + "stat.", g.getStat());
                }
                if (r instanceof OpResult.GetChildrenResult) {
                    return Goldens.dumpStrings(p + "children", ((OpResult.GetChildrenResult) r).getChildren());
                }
                return null;
            }
        };
        List<Goldens.Case> results = new ArrayList<Goldens.Case>();
        results.add(Goldens.resultsCase("writes", Goldens.response(
                new OpResult.CreateResult("/zk/app/a"),
                new OpResult.CreateResult("/zk/app/seq-0000000001", Goldens.stat(1)),
                new OpResult.DeleteResult(),
                new OpResult.SetDataResult(Goldens.stat(2)),
                new OpResult.CheckResult()), rf));
        results.add(Goldens.resultsCase("reads", Goldens.response(
                new OpResult.GetChildrenResult(Arrays.asList("a", "b", "\u00fcn\u00efc\u00f8d\u00e9")),
                new OpResult.GetDataResult(data, Goldens.stat(3)),
                new OpResult.GetDataResult(new byte[0], Goldens.stat(4)),
                new OpResult.GetChildrenResult(new ArrayList<String>())), rf));
        results.add(Goldens.resultsCase("null-data", Goldens.response(
                new OpResult.GetDataResult(null, Goldens.stat(5)),
                new OpResult.GetChildrenResult(null)), rf));
        // A failed multi: ops before the failure report 0, the failing op its code, later ops -2.
        results.add(Goldens.resultsCase("failed", Goldens.response(
                new OpResult.ErrorResult(0),
                new OpResult.ErrorResult(-101),
                new OpResult.ErrorResult(-2),
                new OpResult.ErrorResult(-2)), rf));
        results.add(Goldens.resultsCase("read-error", Goldens.response(
                new OpResult.GetDataResult(data, Goldens.stat(6)),
                new OpResult.ErrorResult(-101)), rf));
        results.add(Goldens.resultsCase("empty", new MultiResponse(), rf));
        Goldens.writeFile("wire", "MultiResponse", MultiResponse.class.getName(), "", results);
        return 2;
    }
}
