package io.apilb.support;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.AsciiString;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * The regular fields of an HTTP/2 header block, seen as HTTP/1 {@link HttpHeaders} without a
 * copy. The proxy path speaks Netty's HTTP/1 message model on both sides; with this view an
 * HTTP/2 request or response crosses it without being copied into an HTTP/1 header map and back
 * (two copies per head, each with its own validation, that dominated the allocation profile).
 *
 * <p>Pseudo-header fields ({@code :method}, {@code :status}...) stay in the block but are not
 * part of the view: iteration, {@link #size()} and {@link #names()} skip them. HTTP/2 field names
 * are lower case (RFC 9113 section 8.2.1) and the block compares names case-sensitively, so names
 * given to the view are lower-cased first. Values are not validated here: the block comes from
 * Netty's HPACK decoder (names validated) after the front end's value check, or from apilb itself.
 */
public final class Http2FieldsAsHttpHeaders extends HttpHeaders {
  private final Http2Headers fields;

  private Http2FieldsAsHttpHeaders(Http2Headers fields) {
    this.fields = fields;
  }

  /** The view of {@code fields}' regular fields; changes through the view change the block. */
  public static Http2FieldsAsHttpHeaders of(Http2Headers fields) {
    return new Http2FieldsAsHttpHeaders(fields);
  }

  /** The HTTP/2 block behind {@code headers}, or null when they are not such a view. */
  public static Http2Headers blockOf(HttpHeaders headers) {
    return headers instanceof Http2FieldsAsHttpHeaders view ? view.fields : null;
  }

  /** {@code name} in lower case, the same object when it already is (the usual case: no copy). */
  static CharSequence lower(CharSequence name) {
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c >= 'A' && c <= 'Z') {
        return AsciiString.of(name).toLowerCase();
      }
    }
    return name;
  }

  private static boolean isPseudo(CharSequence name) {
    return Http2Headers.PseudoHeaderName.hasPseudoHeaderFormat(name);
  }

  private static String string(CharSequence s) {
    return s == null ? null : s.toString();
  }

  // ---------------------------------------------------------------- reads

  @Override
  public String get(String name) {
    return string(fields.get(lower(name)));
  }

  @Override
  public String get(CharSequence name) {
    return string(fields.get(lower(name)));
  }

  @Override
  public Integer getInt(CharSequence name) {
    return fields.getInt(lower(name));
  }

  @Override
  public int getInt(CharSequence name, int defaultValue) {
    return fields.getInt(lower(name), defaultValue);
  }

  @Override
  public Short getShort(CharSequence name) {
    return fields.getShort(lower(name));
  }

  @Override
  public short getShort(CharSequence name, short defaultValue) {
    return fields.getShort(lower(name), defaultValue);
  }

  @Override
  public Long getTimeMillis(CharSequence name) {
    return fields.getTimeMillis(lower(name));
  }

  @Override
  public long getTimeMillis(CharSequence name, long defaultValue) {
    return fields.getTimeMillis(lower(name), defaultValue);
  }

  @Override
  public List<String> getAll(String name) {
    return getAll((CharSequence) name);
  }

  @Override
  public List<String> getAll(CharSequence name) {
    List<CharSequence> values = fields.getAll(lower(name));
    List<String> out = new ArrayList<>(values.size());
    for (CharSequence v : values) {
      out.add(v.toString());
    }
    return out;
  }

  @Override
  public boolean contains(String name) {
    return fields.contains(lower(name));
  }

  @Override
  public boolean contains(CharSequence name) {
    return fields.contains(lower(name));
  }

  @Override
  public boolean contains(String name, String value, boolean ignoreCase) {
    return fields.contains(lower(name), value, ignoreCase);
  }

  @Override
  public boolean contains(CharSequence name, CharSequence value, boolean ignoreCase) {
    return fields.contains(lower(name), value, ignoreCase);
  }

  @Override
  public Iterator<CharSequence> valueCharSequenceIterator(CharSequence name) {
    return fields.valueIterator(lower(name));
  }

  @Override
  public Iterator<String> valueStringIterator(CharSequence name) {
    Iterator<CharSequence> values = valueCharSequenceIterator(name);
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return values.hasNext();
      }

      @Override
      public String next() {
        return values.next().toString();
      }
    };
  }

  @Override
  public boolean isEmpty() {
    return size() == 0;
  }

  @Override
  public int size() {
    int n = 0;
    for (Map.Entry<CharSequence, CharSequence> f : fields) {
      if (!isPseudo(f.getKey())) {
        n++;
      }
    }
    return n;
  }

  @Override
  public Set<String> names() {
    Set<String> names = new LinkedHashSet<>();
    for (Map.Entry<CharSequence, CharSequence> f : fields) {
      if (!isPseudo(f.getKey())) {
        names.add(f.getKey().toString());
      }
    }
    return names;
  }

  @Override
  public Iterator<Map.Entry<CharSequence, CharSequence>> iteratorCharSequence() {
    return new RegularFields(fields.iterator());
  }

  @Override
  public Iterator<Map.Entry<String, String>> iterator() {
    Iterator<Map.Entry<CharSequence, CharSequence>> it = iteratorCharSequence();
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return it.hasNext();
      }

      @Override
      public Map.Entry<String, String> next() {
        Map.Entry<CharSequence, CharSequence> f = it.next();
        return new AbstractMap.SimpleImmutableEntry<>(f.getKey().toString(), f.getValue().toString());
      }
    };
  }

  @Override
  public List<Map.Entry<String, String>> entries() {
    List<Map.Entry<String, String>> out = new ArrayList<>();
    iterator().forEachRemaining(out::add);
    return out;
  }

  // ---------------------------------------------------------------- writes

  @Override
  public HttpHeaders add(String name, Object value) {
    return add((CharSequence) name, value);
  }

  @Override
  public HttpHeaders add(CharSequence name, Object value) {
    fields.addObject(lower(name), value);
    return this;
  }

  @Override
  public HttpHeaders add(String name, Iterable<?> values) {
    return add((CharSequence) name, values);
  }

  @Override
  public HttpHeaders add(CharSequence name, Iterable<?> values) {
    fields.addObject(lower(name), values);
    return this;
  }

  @Override
  public HttpHeaders addInt(CharSequence name, int value) {
    fields.addInt(lower(name), value);
    return this;
  }

  @Override
  public HttpHeaders addShort(CharSequence name, short value) {
    fields.addShort(lower(name), value);
    return this;
  }

  @Override
  public HttpHeaders set(String name, Object value) {
    return set((CharSequence) name, value);
  }

  @Override
  public HttpHeaders set(CharSequence name, Object value) {
    fields.setObject(lower(name), value);
    return this;
  }

  @Override
  public HttpHeaders set(String name, Iterable<?> values) {
    return set((CharSequence) name, values);
  }

  @Override
  public HttpHeaders set(CharSequence name, Iterable<?> values) {
    fields.setObject(lower(name), values);
    return this;
  }

  @Override
  public HttpHeaders setInt(CharSequence name, int value) {
    fields.setInt(lower(name), value);
    return this;
  }

  @Override
  public HttpHeaders setShort(CharSequence name, short value) {
    fields.setShort(lower(name), value);
    return this;
  }

  @Override
  public HttpHeaders remove(String name) {
    return remove((CharSequence) name);
  }

  @Override
  public HttpHeaders remove(CharSequence name) {
    fields.remove(lower(name));
    return this;
  }

  /** Removes the regular fields; the pseudo-header fields stay. */
  @Override
  public HttpHeaders clear() {
    for (String name : names()) {
      fields.remove(name);
    }
    return this;
  }

  /** The block's iterator without its pseudo-header fields. */
  private static final class RegularFields implements Iterator<Map.Entry<CharSequence, CharSequence>> {
    private final Iterator<Map.Entry<CharSequence, CharSequence>> all;
    private Map.Entry<CharSequence, CharSequence> next;

    RegularFields(Iterator<Map.Entry<CharSequence, CharSequence>> all) {
      this.all = all;
      advance();
    }

    private void advance() {
      next = null;
      while (all.hasNext()) {
        Map.Entry<CharSequence, CharSequence> f = all.next();
        if (!isPseudo(f.getKey())) {
          next = f;
          return;
        }
      }
    }

    @Override
    public boolean hasNext() {
      return next != null;
    }

    @Override
    public Map.Entry<CharSequence, CharSequence> next() {
      if (next == null) {
        throw new NoSuchElementException();
      }
      Map.Entry<CharSequence, CharSequence> f = next;
      advance();
      return f;
    }
  }
}
