// Goldens writes zkgo's golden Jute bytes with the real ZooKeeper jars: it builds every Jute
// record class of one ZooKeeper version with fixed field values, serializes it with
// org.apache.jute.BinaryOutputArchive and writes annotated hex text files (format:
// jute/goldens/doc.go). The hand-written multi records come from Multi.java, one per API
// generation (multi-3.4/ or multi-3.8/; scripts/goldens.sh picks it).
//
//	java -cp <classes>:<zookeeper classpath> Goldens <version> <out dir>
//
// Record classes are found by listing the zookeeper jars on the class path. Field order is the
// order of the class's declared fields, checked against its all-arguments constructor (jute's
// generated classes declare both in schema order). Java 8 source level on purpose: the program
// must run on every JRE that runs one of the versions.

import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.List;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import org.apache.jute.BinaryOutputArchive;
import org.apache.jute.Record;
import org.apache.zookeeper.MultiResponse;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.data.Stat;

public final class Goldens {
    /** One golden case: its name, its field lines and the bytes Java wrote. */
    static final class Case {
        final String name;
        final String fields;
        final byte[] bytes;

        Case(String name, String fields, byte[] bytes) {
            this.name = name;
            this.fields = fields;
            this.bytes = bytes;
        }
    }

    /** How the field values of a case are chosen. */
    enum Mode {
        TYPICAL("typical"), // realistic values, two elements per vector
        ZERO("zero"), // 0, false, "" and empty (not null) buffers and vectors
        NULL("null"), // like typical, but every buffer and vector is null
        MAX("max"), // MAX_VALUE numbers, true, long strings and 0xff buffers
        MIN("min"), // MIN_VALUE numbers, false, one-character strings and one-byte buffers
        UNICODE("unicode"), // non-ASCII strings, buffers holding every byte value
        NONBMP("nonbmp"); // strings with characters outside the BMP (Java writes CESU-8)

        final String label;

        Mode(String label) {
            this.label = label;
        }
    }

    static final String UNICODE_PATH = "/zk/\u00fcn\u00efc\u00f8d\u00e9/\u65e5\u672c";
    static final String NONBMP_TEXT = "user\uD83D\uDE00:\uD834\uDD1E";

    static String version;
    static File outDir;

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: Goldens <version> <out dir>");
            System.exit(2);
        }
        version = args[0];
        outDir = new File(args[1]);
        if (!outDir.isDirectory() && !outDir.mkdirs()) {
            throw new IOException("cannot create " + outDir);
        }
        int files = 0;
        for (Class<?> c : recordClasses()) {
            writeRecord(c);
            files++;
        }
        files += Multi.write();
        System.err.println("goldens: " + version + ": " + files + " files in " + outDir);
    }

    // ---------------------------------------------------------------------------------------
    // Finding the record classes.

    static final String[] EXTRA = {
        "org.apache.zookeeper.server.quorum.LearnerInfo",
        "org.apache.zookeeper.server.quorum.QuorumPacket",
        "org.apache.zookeeper.server.quorum.QuorumAuthPacket",
        "org.apache.zookeeper.server.persistence.FileHeader",
        "org.apache.zookeeper.DeleteContainerRequest",
    };

    static List<Class<?>> recordClasses() throws Exception {
        TreeMap<String, Class<?>> found = new TreeMap<String, Class<?>>();
        for (String path : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!new File(path).getName().startsWith("zookeeper") || !path.endsWith(".jar")) {
                continue;
            }
            JarFile jar = new JarFile(path);
            try {
                for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements();) {
                    String n = e.nextElement().getName();
                    if (n.matches("org/apache/zookeeper/(data|proto|txn)/[A-Za-z0-9_]+\\.class")) {
                        String cn = n.substring(0, n.length() - ".class".length()).replace('/', '.');
                        addRecord(found, cn);
                    }
                }
            } finally {
                jar.close();
            }
        }
        for (String cn : EXTRA) {
            addRecord(found, cn);
        }
        if (found.isEmpty()) {
            throw new IllegalStateException("no zookeeper jar on the class path");
        }
        return new ArrayList<Class<?>>(found.values());
    }

    static void addRecord(TreeMap<String, Class<?>> found, String className) {
        Class<?> c;
        try {
            c = Class.forName(className);
        } catch (ClassNotFoundException e) {
            return; // not in this version
        }
        if (Record.class.isAssignableFrom(c) && !c.isInterface() && !Modifier.isAbstract(c.getModifiers())) {
            found.put(className, c);
        }
    }

    /** The module name zkgo's schema uses for the class's package. */
    static String module(Class<?> c) {
        String p = c.getPackage().getName();
        if (p.equals("org.apache.zookeeper")) {
            return "proto"; // DeleteContainerRequest, hand-written, in our proto module
        }
        return p.substring(p.lastIndexOf('.') + 1);
    }

    // ---------------------------------------------------------------------------------------
    // Fields and values.

    static List<Field> fields(Class<?> c) {
        List<Field> out = new ArrayList<Field>();
        for (Field f : c.getDeclaredFields()) {
            if (!Modifier.isStatic(f.getModifiers()) && !f.isSynthetic()) {
                f.setAccessible(true);
                out.add(f);
            }
        }
        return out;
    }

    /** The public constructor taking every field, in field order. */
    static Constructor<?> fullConstructor(Class<?> c, List<Field> fs) {
        Class<?>[] want = new Class<?>[fs.size()];
        for (int i = 0; i < want.length; i++) {
            want[i] = fs.get(i).getType();
        }
        try {
            return c.getConstructor(want);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(c.getName() + ": no constructor " + Arrays.toString(want)
                    + ": declared field order does not match the constructor");
        }
    }

    static Record build(Class<?> c, Mode m, int elem) throws Exception {
        List<Field> fs = fields(c);
        Object[] args = new Object[fs.size()];
        for (int i = 0; i < args.length; i++) {
            args[i] = value(fs.get(i).getName(), fs.get(i).getType(), fs.get(i).getGenericType(), m, elem);
        }
        return (Record) fullConstructor(c, fs).newInstance(args);
    }

    static Object value(String name, Class<?> t, Type generic, Mode m, int elem) throws Exception {
        if (t == int.class) {
            return intValue(name, m, elem);
        }
        if (t == long.class) {
            return longValue(name, m, elem);
        }
        if (t == boolean.class) {
            return m == Mode.MAX || m == Mode.TYPICAL || m == Mode.NULL || m == Mode.UNICODE;
        }
        if (t == byte.class) {
            switch (m) {
            case ZERO:
                return (byte) 0;
            case MAX:
                return Byte.MAX_VALUE;
            case MIN:
                return Byte.MIN_VALUE;
            default:
                return (byte) 0x42;
            }
        }
        if (t == byte[].class) {
            return bufferValue(name, m);
        }
        if (t == String.class) {
            return stringValue(name, m, elem);
        }
        if (t == List.class) {
            Type et = ((ParameterizedType) generic).getActualTypeArguments()[0];
            return listValue(name, (Class<?>) et, m);
        }
        if (Record.class.isAssignableFrom(t)) {
            return build(t, m, elem);
        }
        throw new IllegalStateException("field " + name + ": unsupported type " + t);
    }

    static int intValue(String name, Mode m, int elem) {
        switch (m) {
        case ZERO:
            return 0;
        case MAX:
            return Integer.MAX_VALUE;
        case MIN:
            return Integer.MIN_VALUE;
        default:
            break;
        }
        switch (name) {
        case "xid":
            return 7;
        case "type":
            return 4;
        case "err":
            return -101;
        case "version":
            return 5;
        case "cversion":
            return 2;
        case "aversion":
            return 1;
        case "parentCVersion":
            return 3;
        case "perms":
            return elem == 0 ? 31 : 1;
        case "flags":
            return 2;
        case "state":
            return 3;
        case "timeOut":
            return 30000;
        case "protocolVersion":
            return 0x10000;
        case "magic":
            return 0x5A4B4C47; // "ZKLG", the txn log's FileHeader
        case "dataLength":
            return 16;
        case "numChildren":
            return 2;
        case "max":
            return 1000;
        case "mode":
            return 1;
        case "totalNumber":
            return 12;
        default:
            return 1000 + Math.abs(name.hashCode() % 1000);
        }
    }

    static long longValue(String name, Mode m, int elem) {
        switch (m) {
        case ZERO:
            return 0;
        case MAX:
            return Long.MAX_VALUE;
        case MIN:
            return Long.MIN_VALUE;
        default:
            break;
        }
        switch (name) {
        case "zxid":
            return 0x500000003L;
        case "czxid":
            return 0x100000002L;
        case "mzxid":
            return 0x100000005L;
        case "pzxid":
            return 0x100000007L;
        case "lastZxidSeen":
            return 0x500000001L;
        case "relativeZxid":
            return 0x500000000L;
        case "ctime":
            return 1700000000123L;
        case "mtime":
            return 1700000000456L;
        case "time":
            return 1700000000789L;
        case "ephemeralOwner":
        case "sessionId":
        case "clientId":
            return 0x1000abcd0001L;
        case "ttl":
            return 3600000L;
        case "curConfigId":
        case "configVersion":
            return 0x100000000L;
        case "serverid":
            return 3;
        case "dbid":
            return 0;
        case "treeDigest":
            return 0x0123456789abcdefL;
        default:
            return 100000L + Math.abs(name.hashCode() % 100000) + elem;
        }
    }

    static byte[] bufferValue(String name, Mode m) {
        switch (m) {
        case NULL:
            return null;
        case ZERO:
            return new byte[0];
        case MAX: {
            byte[] b = new byte[64];
            Arrays.fill(b, (byte) 0xff);
            return b;
        }
        case MIN:
            return new byte[] {0};
        case UNICODE: {
            byte[] b = new byte[256];
            for (int i = 0; i < b.length; i++) {
                b[i] = (byte) i;
            }
            return b;
        }
        default:
            break;
        }
        switch (name) {
        case "passwd": {
            byte[] b = new byte[16];
            for (int i = 0; i < b.length; i++) {
                b[i] = (byte) (0xa0 + i);
            }
            return b;
        }
        case "auth":
            return "bob:secret".getBytes(StandardCharsets.UTF_8);
        case "token":
            return new byte[] {0x60, (byte) 0x82, 0x01, 0x00, 0x06, 0x09};
        default:
            return "hello, zookeeper".getBytes(StandardCharsets.UTF_8);
        }
    }

    static String stringValue(String name, Mode m, int elem) {
        switch (m) {
        case ZERO:
            return "";
        case MIN:
            return "/";
        case MAX: {
            StringBuilder sb = new StringBuilder("/");
            for (int i = 0; i < 63; i++) {
                sb.append((char) ('a' + i % 26));
            }
            return sb.toString();
        }
        case UNICODE:
            return UNICODE_PATH;
        case NONBMP:
            return NONBMP_TEXT;
        default:
            break;
        }
        switch (name) {
        case "path":
            return "/zk/app/node-0000000001";
        case "prefixPath":
            return "/zk/app";
        case "scheme":
            return elem == 0 ? "world" : "digest";
        case "id":
            return elem == 0 ? "anyone" : "bob:4aR+zeAcSzObV4e4BXNjHdnqqL8=";
        case "authScheme":
            return "ip";
        case "user":
            return "127.0.0.1";
        case "joiningServers":
            return "server.4=127.0.0.1:2891:3891:participant;127.0.0.1:2184";
        case "leavingServers":
            return "2,3";
        case "newMembers":
            return "server.1=127.0.0.1:2888:3888:participant;2181";
        default:
            return "/zk/app/" + name + "-" + elem;
        }
    }

    static List<Object> listValue(String name, Class<?> et, Mode m) throws Exception {
        if (m == Mode.NULL) {
            return null;
        }
        List<Object> out = new ArrayList<Object>();
        int n;
        switch (m) {
        case ZERO:
            n = 0;
            break;
        case MIN:
            n = 1;
            break;
        case UNICODE:
        case MAX:
            n = 3;
            break;
        default:
            n = 2;
        }
        for (int i = 0; i < n; i++) {
            if (et == String.class) {
                String s = stringValue(name, m, i);
                out.add(m == Mode.TYPICAL ? "/zk/app/" + name + "/node-000000000" + i : s);
            } else {
                out.add(build(et, m, i));
            }
        }
        return out;
    }

    /** Whether c holds (at any depth) a buffer or vector, so that a "null" case differs. */
    static boolean nullable(Class<?> c) {
        for (Field f : fields(c)) {
            Class<?> t = f.getType();
            if (t == byte[].class || t == List.class || Record.class.isAssignableFrom(t) && nullable(t)) {
                return true;
            }
        }
        return false;
    }

    static boolean hasStrings(Class<?> c) {
        for (Field f : fields(c)) {
            Class<?> t = f.getType();
            if (t == String.class || Record.class.isAssignableFrom(t) && hasStrings(t)) {
                return true;
            }
            if (t == List.class) {
                Type et = ((ParameterizedType) f.getGenericType()).getActualTypeArguments()[0];
                if (et == String.class || Record.class.isAssignableFrom((Class<?>) et) && hasStrings((Class<?>) et)) {
                    return true;
                }
            }
        }
        return false;
    }

    // ---------------------------------------------------------------------------------------
    // Writing.

    static void writeRecord(Class<?> c) throws Exception {
        List<Case> cases = new ArrayList<Case>();
        for (Mode m : Mode.values()) {
            if (m == Mode.NULL && !nullable(c) || m == Mode.NONBMP && !c.getSimpleName().equals("Id")) {
                continue;
            }
            if (m == Mode.UNICODE && !hasStrings(c) && !nullable(c)) {
                continue;
            }
            Record r = build(c, m, 0);
            byte[] b = serialize(r);
            boolean dup = false;
            for (Case k : cases) {
                dup |= Arrays.equals(k.bytes, b);
            }
            if (!dup) {
                cases.add(new Case(m.label, dumpRecord("", r), b));
            }
        }
        StringBuilder head = new StringBuilder();
        for (Field f : fields(c)) {
            head.append("field ").append(f.getName()).append(' ').append(juteType(f.getType(), f.getGenericType())).append('\n');
        }
        writeFile(module(c), c.getSimpleName(), c.getName(), head.toString(), cases);
    }

    static String juteType(Class<?> t, Type generic) {
        if (t == int.class) {
            return "int";
        }
        if (t == long.class) {
            return "long";
        }
        if (t == boolean.class) {
            return "boolean";
        }
        if (t == byte.class) {
            return "byte";
        }
        if (t == byte[].class) {
            return "buffer";
        }
        if (t == String.class) {
            return "ustring";
        }
        if (t == List.class) {
            Class<?> et = (Class<?>) ((ParameterizedType) generic).getActualTypeArguments()[0];
            return "vector<" + juteType(et, et) + ">";
        }
        return t.getSimpleName();
    }

    static byte[] serialize(Record r) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        r.serialize(BinaryOutputArchive.getArchive(out), "golden");
        return out.toByteArray();
    }

    /** Writes <out>/<module>.<record>.txt. head holds "field" lines (may be empty). */
    static void writeFile(String module, String record, String javaClass, String head, List<Case> cases)
            throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append("# Golden Jute bytes of ").append(record).append(" written by ZooKeeper ").append(version)
                .append(" (").append(javaClass).append(").\n");
        sb.append("# Generated by jute/goldens/java/Goldens.java (make goldens); do not edit. Format: jute/goldens/doc.go.\n");
        sb.append("version ").append(version).append('\n');
        sb.append("record ").append(record).append('\n');
        sb.append("java ").append(javaClass).append('\n');
        sb.append(head);
        for (Case k : cases) {
            sb.append('\n').append("case ").append(k.name).append('\n');
            sb.append(k.fields);
            sb.append("bytes ").append(k.bytes.length).append('\n');
            for (int off = 0; off < k.bytes.length; off += 32) {
                sb.append(String.format("  %04x:", off));
                for (int i = off; i < Math.min(off + 32, k.bytes.length); i++) {
                    if ((i - off) % 4 == 0) {
                        sb.append(' ');
                    }
                    sb.append(String.format("%02x", k.bytes[i] & 0xff));
                }
                sb.append('\n');
            }
            sb.append("end\n");
        }
        File f = new File(outDir, module + "." + record + ".txt");
        Writer w = new OutputStreamWriter(new FileOutputStream(f), StandardCharsets.UTF_8);
        try {
            w.write(sb.toString());
        } finally {
            w.close();
        }
    }

    /** The field lines of a record's values; prefix is "" at the top or "acl[0]." style. */
    static String dumpRecord(String prefix, Record r) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (Field f : fields(r.getClass())) {
            sb.append(dumpValue(prefix + f.getName(), get(r, f), f.getGenericType()));
        }
        return sb.toString();
    }

    /** Reads a field through its public getter (getX), the way ZooKeeper code does. */
    static Object get(Record r, Field f) throws Exception {
        String n = f.getName();
        Method g = r.getClass().getMethod("get" + Character.toUpperCase(n.charAt(0)) + n.substring(1));
        return g.invoke(r);
    }

    static String dumpValue(String key, Object v, Type type) throws Exception {
        StringBuilder sb = new StringBuilder();
        if (v == null) {
            return key + " = null\n";
        }
        if (v instanceof byte[]) {
            return key + " = hex:" + hex((byte[]) v) + "\n";
        }
        if (v instanceof String) {
            return key + " = " + quote((String) v) + "\n";
        }
        if (v instanceof List) {
            List<?> l = (List<?>) v;
            Type et = ((ParameterizedType) type).getActualTypeArguments()[0];
            if (et == String.class) {
                sb.append(key).append(" = [");
                for (int i = 0; i < l.size(); i++) {
                    sb.append(i == 0 ? "" : ", ").append(quote((String) l.get(i)));
                }
                return sb.append("]\n").toString();
            }
            sb.append(key).append(" = [").append(l.size()).append("]\n");
            for (int i = 0; i < l.size(); i++) {
                sb.append(dumpRecord(key + "[" + i + "].", (Record) l.get(i)));
            }
            return sb.toString();
        }
        if (v instanceof Record) {
            return dumpRecord(key + ".", (Record) v);
        }
        return key + " = " + v + "\n"; // Integer, Long, Byte, Boolean
    }

    // ---------------------------------------------------------------------------------------
    // Hand-written multi records (used by Multi.java).

    /** The version-specific part of a MultiResponse result's field lines. */
    interface ResultFields {
        /** Field lines for r (other than its type), or null if r is a common kind. */
        String dump(String prefix, OpResult r) throws Exception;
    }

    /** A MultiOperationRecord (MultiTransactionRecord in 3.4) case: ops as Java iterates them. */
    static <R extends Record & Iterable<Op>> Case opsCase(String name, R multi) throws Exception {
        List<Op> ops = new ArrayList<Op>();
        for (Op op : multi) {
            ops.add(op);
        }
        StringBuilder sb = new StringBuilder("ops = [").append(ops.size()).append("]\n");
        for (int i = 0; i < ops.size(); i++) {
            String p = "ops[" + i + "].";
            sb.append(p).append("type = ").append(ops.get(i).getType()).append('\n');
            sb.append(dumpRecord(p, ops.get(i).toRequestRecord()));
        }
        return new Case(name, sb.toString(), serialize(multi));
    }

    /** A MultiResponse case; kinds that differ between versions are dumped by rf. */
    static Case resultsCase(String name, MultiResponse resp, ResultFields rf) throws Exception {
        List<OpResult> results = resp.getResultList();
        StringBuilder sb = new StringBuilder("results = [").append(results.size()).append("]\n");
        for (int i = 0; i < results.size(); i++) {
            String p = "results[" + i + "].";
            OpResult r = results.get(i);
            sb.append(p).append("type = ").append(r.getType()).append('\n');
            String own = rf.dump(p, r);
            if (own != null) {
                sb.append(own);
            } else if (r instanceof OpResult.ErrorResult) {
                sb.append(p).append("err = ").append(((OpResult.ErrorResult) r).getErr()).append('\n');
            } else if (r instanceof OpResult.SetDataResult) {
                sb.append(dumpRecord(p + "stat.", ((OpResult.SetDataResult) r).getStat()));
            } else if (!(r instanceof OpResult.DeleteResult) && !(r instanceof OpResult.CheckResult)) {
                throw new IllegalStateException("result " + r.getClass() + " not dumped");
            }
        }
        return new Case(name, sb.toString(), serialize(resp));
    }

    static MultiResponse response(OpResult... rs) {
        MultiResponse m = new MultiResponse();
        for (OpResult r : rs) {
            m.add(r);
        }
        return m;
    }

    /** A Stat with distinct typical values (seed varies them). */
    static Stat stat(int seed) throws Exception {
        Stat s = (Stat) build(Stat.class, Mode.TYPICAL, 0);
        s.setVersion(s.getVersion() + seed);
        s.setMzxid(s.getMzxid() + seed);
        return s;
    }

    /** The string list of a vector<ustring>, for hand-written records. */
    static String dumpStrings(String key, List<String> l) throws Exception {
        if (l == null) {
            return key + " = null\n";
        }
        StringBuilder sb = new StringBuilder(key).append(" = [");
        for (int i = 0; i < l.size(); i++) {
            sb.append(i == 0 ? "" : ", ").append(quote(l.get(i)));
        }
        return sb.append("]\n").toString();
    }

    static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            sb.append(String.format("%02x", x & 0xff));
        }
        return sb.toString();
    }

    /**
     * A double-quoted string: printable characters as themselves (the file is UTF-8), \" \\ \n
     * \r \t, and \\uXXXX for other control characters and unpaired surrogates.
     */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
            case '"':
                sb.append("\\\"");
                continue;
            case '\\':
                sb.append("\\\\");
                continue;
            case '\n':
                sb.append("\\n");
                continue;
            case '\r':
                sb.append("\\r");
                continue;
            case '\t':
                sb.append("\\t");
                continue;
            default:
                break;
            }
            boolean paired = Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
            if (paired) {
                sb.append(c).append(s.charAt(++i));
            } else if (c < 0x20 || c == 0x7f || Character.isSurrogate(c)) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }
}
