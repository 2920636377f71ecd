// Multi writes the goldens of the hand-written multi records with the ZooKeeper 3.4 client API
// (MultiTransactionRecord; create, delete, setData and check only; results without stats).
// Compiled together with ../Goldens.java for 3.4.13 by scripts/goldens.sh.

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.MultiResponse;
import org.apache.zookeeper.MultiTransactionRecord;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.ZooDefs;

final class Multi {
    private Multi() {}

    static int write() throws Exception {
        byte[] data = "hello, zookeeper".getBytes(StandardCharsets.UTF_8);
        List<Goldens.Case> ops = new ArrayList<Goldens.Case>();
        ops.add(Goldens.opsCase("writes", new MultiTransactionRecord(Arrays.asList(
                Op.create("/zk/app/a", data, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT),
                Op.create("/zk/app/seq-", data, ZooDefs.Ids.CREATOR_ALL_ACL, CreateMode.EPHEMERAL_SEQUENTIAL),
                Op.delete("/zk/app/old", -1),
                Op.setData("/zk/app/a", data, 3),
                Op.check("/zk/app", 7)))));
        ops.add(Goldens.opsCase("edge", new MultiTransactionRecord(Arrays.asList(
                Op.create(Goldens.UNICODE_PATH, null, null, CreateMode.PERSISTENT),
                Op.setData("/", null, Integer.MIN_VALUE),
                Op.delete("", Integer.MAX_VALUE)))));
        ops.add(Goldens.opsCase("empty", new MultiTransactionRecord()));
        Goldens.writeFile("wire", "MultiOperationRecord", MultiTransactionRecord.class.getName(), "", ops);

        Goldens.ResultFields rf = new Goldens.ResultFields() {
            @Override
            public String dump(String p, OpResult r) {
                if (r instanceof OpResult.CreateResult) {
                    return p + "path = " + Goldens.quote(((OpResult.CreateResult) r).getPath()) + "\n";
                }
                return null;
            }
        };
        List<Goldens.Case> results = new ArrayList<Goldens.Case>();
        results.add(Goldens.resultsCase("writes", Goldens.response(
                new OpResult.CreateResult("/zk/app/a"),
                new OpResult.CreateResult(Goldens.UNICODE_PATH),
                new OpResult.DeleteResult(),
                new OpResult.SetDataResult(Goldens.stat(2)),
                new OpResult.CheckResult()), rf));
        results.add(Goldens.resultsCase("failed", Goldens.response(
                new OpResult.ErrorResult(0),
                new OpResult.ErrorResult(-101),
                new OpResult.ErrorResult(-2)), rf));
        results.add(Goldens.resultsCase("empty", new MultiResponse(), rf));
        Goldens.writeFile("wire", "MultiResponse", MultiResponse.class.getName(), "", results);
        return 2;
    }
}
